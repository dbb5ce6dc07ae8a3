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

/** EasyRouter's public task id: "task_" + 32 letters and digits. */
export const newTaskId = (): string => `task_${randomAlphanumeric(32)}`;

/** A task id as newTaskId makes them, for examples in the API reference. */
export const EXAMPLE_TASK_ID = 'task_Hk3mQ9xTz2LwVb7NcR4pYd8sJf6aGe1U';

export const API_KEY_PREFIX = 'sk-';
export const newApiKey = (): string => `${API_KEY_PREFIX}${randomAlphanumeric(48)}`;

export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
