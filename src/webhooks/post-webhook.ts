// One HTTP POST of a webhook. It connects only to addresses the callback URL check approved (a
// second DNS answer could point somewhere else), never follows a redirect (that would leave the
// checked host), and reads at most a little of the answer, for the delivery log.
import type { LookupAddress } from 'node:dns';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

export const WEBHOOK_USER_AGENT = 'wan-video-gateway-webhooks/1.0';

const KEPT_RESPONSE_BYTES = 300;
// Beyond this the rest of the answer is not waited for.
const READ_RESPONSE_BYTES = 64 * 1024;

export interface WebhookRequest {
  url: URL;
  /** Where to connect: the addresses the URL's host was checked to have. */
  addresses: LookupAddress[];
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface WebhookResponse {
  /** null when no answer came. */
  statusCode: number | null;
  /** Empty for a 2xx; otherwise what went wrong, for people. */
  error: string;
}

function pinnedLookup(addresses: LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, addresses);
    else callback(null, (addresses[0] as LookupAddress).address, (addresses[0] as LookupAddress).family);
  };
}

// The status has arrived by now and decides the outcome; an answer body cut short (timeout,
// reset) only shortens the text kept.
async function readSome(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= READ_RESPONSE_BYTES) break;
    }
  } catch {
    // keep what was read
  }
  return Buffer.concat(chunks).subarray(0, KEPT_RESPONSE_BYTES).toString('utf8').replace(/\s+/g, ' ').trim();
}

function describeFailure(statusCode: number, location: string | undefined, text: string): string {
  if (statusCode >= 300 && statusCode < 400) return `redirect not followed (HTTP ${statusCode}${location ? ` to ${location}` : ''})`;
  return text ? `HTTP ${statusCode}: ${text}` : `HTTP ${statusCode}`;
}

export async function postWebhook(webhook: WebhookRequest): Promise<WebhookResponse> {
  const signal = AbortSignal.timeout(webhook.timeoutMs);
  const send = webhook.url.protocol === 'https:' ? httpsRequest : httpRequest;
  try {
    return await new Promise<WebhookResponse>((resolve, reject) => {
      const req = send(webhook.url, {
        method: 'POST',
        headers: { ...webhook.headers, 'content-length': String(Buffer.byteLength(webhook.body)) },
        lookup: pinnedLookup(webhook.addresses),
        // A fresh connection per attempt: a pooled one could lead to an address checked long ago.
        agent: false,
        signal,
      });
      req.on('error', reject);
      req.on('response', (response) => {
        const statusCode = response.statusCode ?? 0;
        void readSome(response).then((text) => {
          response.destroy();
          const ok = statusCode >= 200 && statusCode < 300;
          resolve({ statusCode, error: ok ? '' : describeFailure(statusCode, response.headers.location, text) });
        });
      });
      req.end(webhook.body);
    });
  } catch (err) {
    if (signal.aborted) return { statusCode: null, error: `no answer within ${webhook.timeoutMs} ms` };
    const { code, message } = err as NodeJS.ErrnoException;
    return { statusCode: null, error: code && !message.includes(code) ? `${code}: ${message}` : message };
  }
}
