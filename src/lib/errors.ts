// Domain errors carry a stable code; the HTTP status and the OpenAI error type come from one table,
// and the error handler (src/http/error-handler.ts) renders them in the shape each route family uses.
// `meaning` and `example` document the code: the API guide's table of error codes and every
// route's error answers in the OpenAPI document (src/http/route-docs.ts) come from them.
import { EXAMPLE_TASK_ID } from './ids.ts';

interface ErrorCodeEntry {
  status: number;
  openaiType: string;
  /** When a client gets this code, for the reader of the API reference. */
  meaning: string;
  /** A message the gateway really sends with this code (and its `param` in OpenAI's shape). */
  example: { message: string; param: string | null };
}


export const errorCodes = {
  invalid_request: {
    status: 400,
    openaiType: 'invalid_request_error',
    meaning: 'The request breaks a rule (malformed JSON, a wrong type, an unknown model, a missing prompt...); the message names the field and what to fix. Nothing was charged.',
    example: { message: 'prompt is required', param: 'prompt' },
  },
  invalid_api_key: {
    status: 401,
    openaiType: 'authentication_error',
    meaning: 'The API key is missing, unknown, expired or disabled, or its user is disabled.',
    example: { message: 'invalid API key', param: null },
  },
  admin_unauthorized: {
    status: 401,
    openaiType: 'authentication_error',
    meaning: 'The admin token is missing or wrong.',
    example: { message: 'missing or wrong admin token: send "Authorization: Bearer <ADMIN_TOKEN>" or a token from POST /admin/tokens', param: null },
  },
  metrics_unauthorized: {
    status: 401,
    openaiType: 'authentication_error',
    meaning: 'The server sets METRICS_TOKEN, and the request did not send it.',
    example: { message: 'missing or wrong metrics token: send "Authorization: Bearer <METRICS_TOKEN>"', param: null },
  },
  insufficient_user_quota: {
    status: 402,
    openaiType: 'insufficient_quota',
    meaning: "The user's balance, or the key's own spending limit, does not cover the task. Nothing was charged.",
    example: { message: 'insufficient user quota', param: null },
  },
  model_not_allowed: {
    status: 403,
    openaiType: 'permission_error',
    meaning: "The model is outside the API key's allow-list.",
    example: { message: 'this API key may not use wan2.7-r2v; it is limited to wan2.7-t2v', param: 'model' },
  },
  admin_disabled: {
    status: 403,
    openaiType: 'permission_error',
    meaning: 'The admin API is off: the server was started without ADMIN_TOKEN.',
    example: { message: 'the admin API is disabled: set ADMIN_TOKEN to enable it', param: null },
  },
  admin_read_only: {
    status: 403,
    openaiType: 'permission_error',
    meaning: 'The admin token has the read scope; changes need a token with the write scope.',
    example: { message: 'this admin token (ops-dashboard) may only read; changes need a token with scope write', param: null },
  },
  ip_not_allowed: {
    status: 403,
    openaiType: 'permission_error',
    meaning: "The request comes from an address outside the API key's allowed_ips.",
    example: { message: 'this API key may not be used from 203.0.113.9; its allowed_ips are 10.0.0.0/8', param: null },
  },
  csrf_failed: {
    status: 403,
    openaiType: 'permission_error',
    meaning: "A change authenticated by the web console's session cookie came without the session's X-CSRF-Token header, or from another origin: only the console itself may make it. API clients send their key as a Bearer token instead.",
    example: { message: 'this change came with the console session cookie but without its X-CSRF-Token header; send the csrf_token of POST /v1/console/session', param: null },
  },
  link_expired: {
    status: 403,
    openaiType: 'permission_error',
    meaning: 'The file link has expired; query the task again for a fresh one.',
    example: { message: 'this link has expired; ask the API for the task again to get a new one', param: null },
  },
  bad_signature: {
    status: 403,
    openaiType: 'permission_error',
    meaning: 'The file link was altered: its signature does not match.',
    example: { message: 'this link is not valid: its signature does not match', param: null },
  },
  not_found: {
    status: 404,
    openaiType: 'not_found_error',
    meaning: 'No such task, video, model, user, key or file, or it is not yours (for a model: not one this API key may use).',
    example: { message: `task ${EXAMPLE_TASK_ID} not found`, param: 'task_id' },
  },
  conflict: {
    status: 409,
    openaiType: 'invalid_request_error',
    meaning: 'What the request asks no longer applies to the task: it is already running upstream, or it has ended. Asking again cannot help (the answer says `x-should-retry: false`).',
    example: { message: `task ${EXAMPLE_TASK_ID} is already running upstream and can no longer be canceled; it will end on its own`, param: 'task_id' },
  },
  // 422, not 409: the OpenAI SDKs retry a 409, and a retry of this request can only fail again.
  idempotency_key_reused: {
    status: 422,
    openaiType: 'invalid_request_error',
    meaning: 'The Idempotency-Key was used in the last 24 hours for a different request; send a new key for a new request.',
    example: {
      message: `Idempotency-Key order-1234 was already used for a different request (task ${EXAMPLE_TASK_ID}) in the last 24 hours; send a new key for a new request`,
      param: 'Idempotency-Key',
    },
  },
  too_many_inflight_tasks: {
    status: 429,
    openaiType: 'rate_limit_error',
    meaning: "The API key already has as many unfinished tasks as its max_inflight allows; retry once one has finished. Nothing was charged.",
    example: { message: 'this API key has as many unfinished tasks as it may have at once (max_inflight); wait for one to finish', param: null },
  },
  rate_limited: {
    status: 429,
    openaiType: 'rate_limit_error',
    meaning: "Too many requests: the API key's rpm_limit (requests per minute) is reached, or too many failed admin authentications came from this address. Retry after the Retry-After header's seconds.",
    example: { message: 'this API key may make 60 requests per minute (rpm_limit); retry in 12 s', param: null },
  },
  request_timeout: {
    status: 408,
    openaiType: 'invalid_request_error',
    meaning: 'The request (its headers or its body) took too long to arrive; send it again. Nothing was charged.',
    example: { message: 'the request took too long to arrive; send it again', param: null },
  },
  payload_too_large: {
    status: 413,
    openaiType: 'invalid_request_error',
    meaning: 'The body is larger than the server\'s BODY_LIMIT_BYTES, an uploaded file larger than UPLOAD_LIMIT_BYTES, or a form has too many fields.',
    example: { message: 'request body is larger than the 10485760-byte limit', param: null },
  },
  unsupported_media_type: {
    status: 415,
    openaiType: 'invalid_request_error',
    meaning: 'The body is neither application/json nor multipart/form-data (the create routes take either; the others take JSON), or it is compressed (a Content-Encoding other than identity): send it uncompressed.',
    example: { message: 'unsupported Content-Type; send the body as application/json or multipart/form-data', param: null },
  },
  headers_too_large: {
    status: 431,
    openaiType: 'invalid_request_error',
    meaning: 'The request line or headers are larger than the server accepts. Nothing was charged.',
    example: { message: 'the request headers are too large; send fewer or shorter headers', param: null },
  },
  internal_error: {
    status: 500,
    openaiType: 'server_error',
    meaning: "A fault on the gateway's side; the response's x-request-id identifies it in the logs.",
    example: { message: 'internal error; the request id in x-request-id identifies it in the logs', param: null },
  },
  unavailable: {
    status: 503,
    openaiType: 'server_error',
    meaning: 'Something the answer depends on (the upstream\'s video link) did not answer in time; try again shortly.',
    example: { message: `the video of ${EXAMPLE_TASK_ID} could not be fetched from the upstream right now; try again`, param: null },
  },
} as const satisfies Record<string, ErrorCodeEntry>;

export type ErrorCode = keyof typeof errorCodes;

export class AppError extends Error {
  readonly code: ErrorCode;
  /** The request field at fault, when there is one (OpenAI's `param`). */
  readonly param: string | null;
  /** Seconds the client should wait before asking again (the Retry-After header), when that helps. */
  readonly retryAfterS: number | null;

  constructor(code: ErrorCode, message: string, param: string | null = null, retryAfterS: number | null = null) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.param = param;
    this.retryAfterS = retryAfterS;
  }

  get status(): number {
    return errorCodes[this.code].status;
  }
}

/** Client input quoted in a message, cut to `maxChars` (the ellipsis included) so the answer stays short. */
export const excerpt = (text: string, maxChars: number): string => (text.length > maxChars ? `${text.slice(0, maxChars - 3)}...` : text);

export const badRequest = (message: string, param: string | null = null): AppError =>
  new AppError('invalid_request', message, param);
