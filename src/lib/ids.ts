import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// Bytes at or above this bound are dropped so every character is equally likely.
const UNBIASED_BOUND = 256 - (256 % ALPHABET.length);

// One call into the CSPRNG per few dozen ids instead of one per id: a task id is drawn on every submit.
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function randomByte(): number {
  if (poolOffset >= pool.length) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  return pool[poolOffset++] as number;
}

export function randomAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    if (byte < UNBIASED_BOUND) out += ALPHABET[byte % ALPHABET.length];
  }
  return out;
}

export const TASK_ID_PATTERN = /^task_[A-Za-z0-9]{32}$/;

/** Base-36 digits of the creation time in a task id: enough until the year 5188. */
const TIME_DIGITS = 9;

/**
 * EasyRouter's public task id: "task_" + 32 letters and digits, of which the first 9 are the
 * creation time (milliseconds, base 36, lowercase so that every collation sorts them as numbers)
 * and the other 23 random (137 bits). Ids made later sort later, so the indexes keyed by them
 * (tasks, logs, webhooks) grow at their right edge: a random id put each insert on a random page
 * of each, and after every checkpoint each such page went to the WAL whole (docs/benchmarks.md).
 */
export const newTaskId = (now: number = Date.now()): string =>
  `task_${now.toString(36).padStart(TIME_DIGITS, '0')}${randomAlphanumeric(32 - TIME_DIGITS)}`;

/** A task id as newTaskId makes them, for examples in the API reference. */
export const EXAMPLE_TASK_ID = 'task_0mieudfpsHk3mQ9xTz2LwVb7NcR4pYd8';

export const API_KEY_PREFIX = 'sk-';
export const newApiKey = (): string => `${API_KEY_PREFIX}${randomAlphanumeric(48)}`;

export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
