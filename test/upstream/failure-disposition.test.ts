// What the worker is told to do about each documented DashScope error.
import { describe, expect, it } from 'vitest';
import { dispositionFor } from '../../src/upstream/failure-disposition.ts';
import type { FailureDisposition } from '../../src/upstream/types.ts';

const cases: [number, string | null, FailureDisposition][] = [
  // transient
  [429, 'Throttling', 'retry'],
  [429, 'Throttling.RateQuota', 'retry'],
  [429, 'Throttling.BurstRate', 'retry'],
  [429, 'Throttling.AllocationQuota', 'retry'],
  [429, null, 'retry'],
  [400, 'Throttling.RateQuota', 'retry'],
  [500, 'InternalError', 'retry'],
  [502, null, 'retry'],
  [503, null, 'retry'],
  [504, null, 'retry'],
  [500, 'InvalidApiKey', 'retry'],
  // the account cannot serve
  [401, 'InvalidApiKey', 'channel'],
  [401, null, 'channel'],
  [403, 'AccessDenied', 'channel'],
  [403, 'Workspace.AccessDenied', 'channel'],
  [403, 'Endpoint.AccessDenied', 'channel'],
  [403, 'AllocationQuota.FreeTierOnly', 'channel'],
  [400, 'Arrearage', 'channel'],
  [401, 'SomethingNew', 'channel'],
  [404, null, 'channel'],
  [200, 'InvalidApiKey', 'channel'],
  // the request is at fault
  [400, 'InvalidParameter', 'request'],
  [400, 'InvalidParameter.DataInspection', 'request'],
  [400, 'DataInspectionFailed', 'request'],
  [400, 'IPInfringementSuspect', 'request'],
  [400, 'InvalidURL', 'request'],
  [400, 'BadRequest.EmptyInput', 'request'],
  [400, 'BadRequest.EmptyModel', 'request'],
  [400, 'UnsupportedOperation', 'request'],
  [400, 'SomethingNew', 'request'],
  [400, null, 'request'],
  [413, null, 'request'],
  [200, 'InvalidParameter', 'request'],
  // refusals that may depend on the request never take the channel out
  [403, 'DataInspectionFailed', 'request'],
  [403, 'SomethingNew', 'request'],
  [403, null, 'request'],
  [404, 'InvalidParameter', 'request'],
  [404, 'ModelNotFound', 'request'],
  [404, 'NotFound', 'request'],
  [200, 'DataInspectionFailed', 'request'],
  // a 2xx carrying an error code nobody documented
  [200, 'SomethingNew', 'retry'],
];

describe('dispositionFor', () => {
  it.each(cases)('HTTP %i with code %s → %s', (status, code, expected) => {
    expect(dispositionFor(status, code)).toBe(expected);
  });
});
