// Webhook signatures after the Standard Webhooks specification (https://www.standardwebhooks.com),
// which is also what the official OpenAI SDK checks (`client.webhooks.unwrap()`), so a customer
// can verify our webhooks with that SDK or with any Standard Webhooks library.
import { createHmac, randomBytes } from 'node:crypto';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

// The specification asks for 24 to 64 bytes; 32 bytes is 50 characters once encoded, which fits
// the 64-character column.
const SECRET_BYTES = 32;
const SIGNATURE_VERSION = 'v1,';

export function newWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

// A secret without the prefix is used as its own UTF-8 bytes, as the OpenAI SDK does; the
// secrets the gateway issues always carry it.
function hmacKey(secret: string): Buffer {
  return secret.startsWith(WEBHOOK_SECRET_PREFIX)
    ? Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64')
    : Buffer.from(secret, 'utf8');
}

function hmac(secret: string, id: string, timestamp: number, body: string): Buffer {
  return createHmac('sha256', hmacKey(secret)).update(`${id}.${timestamp}.${body}`).digest();
}

/** The `webhook-signature` header value: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `${SIGNATURE_VERSION}${hmac(secret, id, timestamp, body).toString('base64')}`;
}

// A type, not an interface, so that it passes wherever a plain header record is expected.
export type SignedHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export function signedHeaders(secret: string, id: string, timestamp: number, body: string): SignedHeaders {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(secret, id, timestamp, body) };
}
