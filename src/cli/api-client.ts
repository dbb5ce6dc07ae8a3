// The CLI's side of the REST API: one request, its JSON (or text) answer, or the API's own error.

import { ApiError, apiErrorFrom } from '../shared/api-error.ts';

export { ApiError };

export interface ApiClientOptions {
  baseUrl: string;
  token: string;
  idempotencyKey?: string;
}

export type Query = Record<string, string | number | boolean | undefined>;

export class ApiClient {
  private readonly options: ApiClientOptions;

  constructor(options: ApiClientOptions) {
    this.options = options;
  }

  async request<T = unknown>(method: string, path: string, options: { query?: Query; body?: unknown; text?: boolean } = {}): Promise<T> {
    const url = new URL(path, this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.options.idempotencyKey) headers['idempotency-key'] = this.options.idempotencyKey;
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    } catch (err) {
      throw new ApiError(0, 'unreachable', `cannot reach the gateway at ${this.options.baseUrl} (VGW_URL): ${(err as Error).cause ?? (err as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) {
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: the text is the message
      }
      throw apiErrorFrom(response.status, body, { code: `http_${response.status}`, message: text || response.statusText });
    }
    if (options.text) return text as T;
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
