// The one table that decides what the worker does about a DashScope error: retry later, give up on
// the channel (account), or fail the task as the request's own fault.
import type { FailureDisposition } from './types.ts';

/**
 * Codes that mean this account cannot serve at all, whatever the request: its key, its standing,
 * its access. Only these take a channel out of rotation; a refusal that may depend on the request
 * must never do that, or one request would disable every channel in turn.
 */
const CHANNEL_CODES = new Set([
  'InvalidApiKey',
  'AccessDenied',
  'Workspace.AccessDenied',
  'Endpoint.AccessDenied',
  'AllocationQuota.FreeTierOnly',
  'Arrearage',
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
 * account-level code disables the channel. A 401 is about the credentials, which are the same for
 * every request; a 404 without any DashScope code means the endpoint itself is missing (a wrong
 * base URL): both are the channel's. Every other 4xx (403 and 404 with a code included: content
 * moderation, a model this account lacks, codes nobody documented) fails the task as its own:
 * another channel would be refused the same, and the failure reason names the code. A 2xx or 3xx
 * carrying an unrecognized error code is retried: the task's own timeout bounds that.
 */
export function dispositionFor(httpStatus: number, code: string | null): FailureDisposition {
  if (code?.startsWith('Throttling')) return 'retry';
  if (httpStatus === 429 || httpStatus >= 500) return 'retry';
  if (code !== null && CHANNEL_CODES.has(code)) return 'channel';
  if (httpStatus === 401 || (httpStatus === 404 && code === null)) return 'channel';
  if (httpStatus >= 400) return 'request';
  if (code !== null && (REQUEST_CODES.has(code) || REQUEST_CODE_FAMILIES.some((family) => code.startsWith(family)))) {
    return 'request';
  }
  return 'retry';
}
