// The one table that decides what the worker does about a DashScope error: retry later, give up on
// the channel (account), or fail the task as the request's own fault.
import type { FailureDisposition } from './types.ts';

/** Codes that mean this account cannot serve at all, whatever the request. */
const CHANNEL_CODES = new Set([
  'InvalidApiKey',
  'AccessDenied',
  'Workspace.AccessDenied',
  'Endpoint.AccessDenied',
  'AllocationQuota.FreeTierOnly',
  'Arrearage',
  'ModelNotFound',
]);

/** Codes that blame the request: sending it again, anywhere, gets the same answer. */
const REQUEST_CODES = new Set([
  'InvalidParameter',
  'DataInspectionFailed',
  'IPInfringementSuspect',
  'InvalidURL',
  'UnsupportedOperation',
]);
const REQUEST_CODE_FAMILIES = ['InvalidParameter.', 'BadRequest.'];

/**
 * `code` is DashScope's error code, or null when the response carried none.
 *
 * The order matters: throttling and server trouble are transient whatever else the body says; an
 * account-level code beats the status; 401/403/404 without a known code still point at the
 * account or its base URL (DashScope answers 200 UNKNOWN for a task id it does not know, so a 404
 * means the endpoint or model is missing there); the remaining 4xx blame the request. A 2xx or 3xx
 * carrying an unrecognized error code is retried: the task's own timeout bounds that.
 */
export function dispositionFor(httpStatus: number, code: string | null): FailureDisposition {
  if (code?.startsWith('Throttling')) return 'retry';
  if (httpStatus === 429 || httpStatus >= 500) return 'retry';
  if (code !== null && CHANNEL_CODES.has(code)) return 'channel';
  if (httpStatus === 401 || httpStatus === 403 || httpStatus === 404) return 'channel';
  if (code !== null && (REQUEST_CODES.has(code) || REQUEST_CODE_FAMILIES.some((family) => code.startsWith(family)))) {
    return 'request';
  }
  if (httpStatus >= 400) return 'request';
  return 'retry';
}
