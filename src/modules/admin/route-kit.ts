// What the operator routes share: their OpenAPI tag and security, the errors every one of them
// (and every change) can answer, and the Idempotent-Replayed header of changes.
import type { RouteError, ResponseHeader } from '../../http/route-docs.ts';

export const ADMIN = { tags: ['admin'], security: [{ adminToken: [] }] };

/** Every operator route: a wrong or missing token, the admin API off, too many failed attempts. */
export const ADMIN_ERRORS: RouteError[] = [
  'admin_unauthorized',
  'admin_disabled',
  { code: 'rate_limited', example: 'too many failed admin authentications from 203.0.113.9; retry in 42 s' },
];
/** Every change: a read-only token, and an Idempotency-Key reused for another request. */
export const CHANGE_ERRORS: RouteError[] = [
  ...ADMIN_ERRORS,
  'admin_read_only',
  {
    code: 'idempotency_key_reused',
    example: 'Idempotency-Key topup-2026-118 was already used for a different request in the last 24 hours; send a new key for a new request',
    param: 'Idempotency-Key',
  },
];
/** A change with a JSON body. */
export const BODY_ERRORS: RouteError[] = ['payload_too_large', 'unsupported_media_type'];

export const BAD_ID: RouteError = { code: 'invalid_request', example: 'params id: Too small: expected number to be >0' };
export const BAD_CURSOR: RouteError = { code: 'invalid_request', example: 'querystring cursor: cursor must be the next_cursor of a previous page' };

export const REPLAYED: Record<string, ResponseHeader> = {
  'idempotent-replayed': {
    type: 'string',
    enum: ['true'],
    description: 'Present when an earlier request with the same Idempotency-Key made this change; nothing was done again',
  },
};

export const IDEMPOTENCY_NOTE =
  'Takes an `Idempotency-Key` header (keys are per admin token): the same key and request within 24 hours answer the first response again (with `Idempotent-Replayed: true`) and change nothing; the same key with another request is 422. Every change is written to the audit log (GET /admin/audit) in the same transaction.';
