// One way to call the gateway from the browser: same-origin paths only, JSON in and out, and one
// error type for both error shapes the API uses ({code, message} and OpenAI's {error: {...}}).

import { apiErrorFrom } from '../../../src/shared/api-error.ts';

export { ApiError } from '../../../src/shared/api-error.ts';

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Calls a path of this origin. The path must start with "/": nothing here ever talks to another origin. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  if (!path.startsWith('/') || path.startsWith('//')) throw new Error(`not a path of this origin: ${path}`);
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) body = options.body;
  else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const res = await fetch(path, { method: options.method ?? 'GET', headers, body, credentials: 'same-origin', signal: options.signal });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  if (!res.ok) throw apiErrorFrom(res.status, parsed, { code: String(res.status), message: `the gateway answered ${res.status}` });
  return parsed as T;
}

export const QUOTA_PER_USD = 500_000;

/** Quota as dollars, e.g. 250000 → "$0.50". */
export const usd = (quota: number): string => `$${(quota / QUOTA_PER_USD).toFixed(2)}`;

export const dateTime = (unixSeconds: number | null | undefined): string =>
  unixSeconds ? new Date(unixSeconds * 1000).toLocaleString() : '—';
