import type { HttpLoad } from '../lib/measure.ts';
import { rotation } from '../lib/rotation.ts';
import { SUBMIT_BODY } from '../workload.ts';
import type { Customer } from './customers.ts';

/** POST /v1/video/generations, each request with the next customer's key. */
export function submitLoad(baseUrl: string, customers: readonly Customer[]): HttpLoad {
  const nextCustomer = rotation(customers);
  return {
    url: `${baseUrl}/v1/video/generations`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: SUBMIT_BODY,
    setupRequest: (request) => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${nextCustomer().key}` } }),
  };
}
