// Domain errors carry a stable code; the HTTP status and the OpenAI error type come from one table,
// and the error handler (src/http/error-handler.ts) renders them in the shape each route family uses.

export const errorCodes = {
  invalid_request: { status: 400, openaiType: 'invalid_request_error' },
  invalid_api_key: { status: 401, openaiType: 'authentication_error' },
  admin_unauthorized: { status: 401, openaiType: 'authentication_error' },
  insufficient_user_quota: { status: 402, openaiType: 'insufficient_quota' },
  model_not_allowed: { status: 403, openaiType: 'permission_error' },
  admin_disabled: { status: 403, openaiType: 'permission_error' },
  not_found: { status: 404, openaiType: 'not_found_error' },
  conflict: { status: 409, openaiType: 'invalid_request_error' },
  // 422, not 409: the OpenAI SDKs retry a 409, and a retry of this request can only fail again.
  idempotency_key_reused: { status: 422, openaiType: 'invalid_request_error' },
  request_timeout: { status: 408, openaiType: 'invalid_request_error' },
  payload_too_large: { status: 413, openaiType: 'invalid_request_error' },
  unsupported_media_type: { status: 415, openaiType: 'invalid_request_error' },
  headers_too_large: { status: 431, openaiType: 'invalid_request_error' },
  internal_error: { status: 500, openaiType: 'server_error' },
  unavailable: { status: 503, openaiType: 'server_error' },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class AppError extends Error {
  readonly code: ErrorCode;
  /** The request field at fault, when there is one (OpenAI's `param`). */
  readonly param: string | null;

  constructor(code: ErrorCode, message: string, param: string | null = null) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.param = param;
  }

  get status(): number {
    return errorCodes[this.code].status;
  }
}

export const badRequest = (message: string, param: string | null = null): AppError =>
  new AppError('invalid_request', message, param);
