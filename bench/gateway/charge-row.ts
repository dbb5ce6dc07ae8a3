// A submit of the bench's body as the API hands it to the charge, for the measurements that run the
// gateway's charge without its API in front (bench/charge, bench/gateway/charge-server.ts).
import { Decimal } from 'decimal.js';
import { newTaskId } from '../../src/lib/ids.ts';
import { describeCharge, priceTask } from '../../src/modules/pricing/quota.ts';
import type { ChargeRow } from '../../src/modules/tasks/charge.repository.ts';
import { ACTION_BY_CAPABILITY } from '../../src/modules/tasks/models.ts';
import { normalizeRequest } from '../../src/modules/tasks/normalize-request.ts';
import { DASHSCOPE_PLATFORM } from '../../src/modules/tasks/tasks.service.ts';
import { QUOTA_PER_SUBMIT, SUBMIT_BODY } from '../workload.ts';

/** Who pays: a user and one of its keys. */
export interface Payer {
  userId: number;
  keyId: number;
}

const body = JSON.parse(SUBMIT_BODY) as { model: string; prompt: string; resolution: string; duration: number };
const request = normalizeRequest(body as never, body.model, 't2v');
const price = priceTask({
  model: body.model,
  pricePerSecond: new Decimal('0.1'),
  group: 'default',
  groupRatio: new Decimal(1),
  resolution: request.resolution,
  resolutionRatio: new Decimal(1),
  seconds: request.billed_seconds,
});
// The seeded price of wan2.7-t2v at 720P in the default group, as the submit suite is charged.
if (price.quota !== QUOTA_PER_SUBMIT) throw new Error(`charge: priced ${price.quota}, the submit suite is charged ${QUOTA_PER_SUBMIT}`);
const action = ACTION_BY_CAPABILITY.t2v;
const logContent = describeCharge(action, price);

/** A new task's charge for `payer`, as the API would build it from the bench's submit body. */
export function chargeRowFor(payer: Payer): Omit<ChargeRow, 'ord'> {
  return {
    user_id: payer.userId,
    key_id: payer.keyId,
    quota: price.quota,
    task_id: newTaskId(),
    platform: DASHSCOPE_PLATFORM,
    group: 'default',
    model: body.model,
    action,
    price_snapshot: price,
    request,
    callback_url: null,
    webhook_events: [],
    remixed_from: null,
    log_content: logContent,
    idem_key: null,
    idem_hash: null,
    traceparent: null,
  };
}
