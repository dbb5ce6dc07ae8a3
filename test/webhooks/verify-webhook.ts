// A receiver's check of our webhooks, written apart from the signer (src/webhooks/signing.ts) so
// that the tests hold the signer to the Standard Webhooks rules rather than to itself.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a webhook's timestamp may be from the receiver's clock: the specification's (and the SDK's) five minutes. */
export const WEBHOOK_TOLERANCE_S = 300;

export interface VerifyOptions {
  toleranceS?: number;
  /** Milliseconds since the epoch; defaults to the clock. */
  now?: number;
}

/**
 * Whether `body` arrived with a valid signature under `secret`: the three headers present, the
 * timestamp within the tolerance, and one of the space-separated `v1,` signatures matching.
 */
export function verifyWebhook(secret: string, body: string, headers: Record<string, string | string[] | undefined>, options: VerifyOptions = {}): boolean {
  const header = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const id = header('webhook-id');
  const timestamp = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (!id || !timestamp || !signatures || !/^\d+$/.test(timestamp)) return false;
  const nowS = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(nowS - Number(timestamp)) > (options.toleranceS ?? WEBHOOK_TOLERANCE_S)) return false;
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((entry) => {
    if (!entry.startsWith('v1,')) return false;
    const given = Buffer.from(entry.slice('v1,'.length), 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
