import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// Bytes at or above this bound are dropped so every character is equally likely.
const UNBIASED_BOUND = 256 - (256 % ALPHABET.length);

export function randomAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < UNBIASED_BOUND) out += ALPHABET[byte % ALPHABET.length];
      if (out.length === length) break;
    }
  }
  return out;
}

export const TASK_ID_PATTERN = /^task_[A-Za-z0-9]{32}$/;

/** EasyRouter's public task id: "task_" + 32 letters and digits. */
export const newTaskId = (): string => `task_${randomAlphanumeric(32)}`;

export const API_KEY_PREFIX = 'sk-';
export const newApiKey = (): string => `${API_KEY_PREFIX}${randomAlphanumeric(48)}`;

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
