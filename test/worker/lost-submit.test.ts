// A submit whose answer was lost (the connection cut after the request left, or the worker died
// before recording it) is found again in the account's task list: adopted, never sent twice, and
// any duplicate is cancelled and written down.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfra, type Infra } from '../../src/infra.ts';
import { DashScopeClient } from '../../src/upstream/dashscope-client.ts';
import type { UpstreamClient } from '../../src/upstream/types.ts';
import { type RunningWorker, startWorker } from '../../src/worker/start-worker.ts';
import { createCustomer, type Customer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit, waitForFinal } from '../helpers/gateway.ts';

let ctx: GatewayContext;
let customer: Customer;

// A short request timeout, so a lost submit is resolved within seconds.
const UPSTREAM_TIMEOUT_MS = 500;

beforeAll(async () => {
  ctx = await createGatewayContext({ env: { UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS) } });
  customer = await createCustomer(ctx.http, 1_000_000_000);
});
afterAll(async () => {
  await ctx?.close();
});

const prompt = (text: string) => ({ ...specExamples.t2v, prompt: `${text} ${Math.random()}` });
const orphansOf = (taskId: string) => ctx.db.selectFrom('upstreamOrphans').select(['upstreamTaskId', 'outcome']).where('taskId', '=', taskId).execute();
const upstreamIdOf = async (taskId: string) =>
  (await ctx.db.selectFrom('tasks').select('upstreamTaskId').where('taskId', '=', taskId).executeTakeFirstOrThrow()).upstreamTaskId;

/** The real client, but for a submit that misbehaves as `submit` says. */
const withSubmit = (real: UpstreamClient, submit: UpstreamClient['submit']): UpstreamClient => ({
  list: real.list.bind(real),
  query: real.query.bind(real),
  cancel: real.cancel.bind(real),
  submit,
});

/** A worker whose upstream client misbehaves as `wrap` says, on its own connections. */
async function workerWith(wrap: (real: UpstreamClient) => UpstreamClient): Promise<{ worker: RunningWorker; infra: Infra }> {
  await ctx.stopWorkers();
  const infra = await createInfra(ctx.config, 'worker');
  const upstream = wrap(new DashScopeClient({ timeoutMs: UPSTREAM_TIMEOUT_MS, metrics: infra.metrics }));
  const worker = await startWorker({ config: ctx.config, ...infra, log: pino({ level: 'silent' }), upstream });
  return { worker, infra };
}

async function stop(w: { worker: RunningWorker; infra: Infra }): Promise<void> {
  await w.worker.close();
  await w.infra.close();
}

describe('a submit whose answer was lost', () => {
  it('when the connection broke after the upstream took it: adopted, not sent again', { timeout: 60_000 }, async () => {
    const before = ctx.simulator.stats().tasksCreated;
    const taskId = await submit(ctx, customer.key, prompt('[sim:lost=1] a cat'));
    const task = await waitForFinal(ctx, customer.key, taskId, 40_000);
    expect(task.status).toBe('SUCCESS');
    expect(ctx.simulator.stats().tasksCreated - before).toBe(1);
    expect(await orphansOf(taskId)).toEqual([{ upstreamTaskId: await upstreamIdOf(taskId), outcome: 'adopted' }]);
  });

  it('when the worker died between the upstream accepting it and recording it', { timeout: 60_000 }, async () => {
    let died = false;
    const w = await workerWith((real) =>
      withSubmit(real, async (channel, body) => {
        const outcome = await real.submit(channel, body);
        if (!died) {
          died = true;
          throw new Error('the worker died here');
        }
        return outcome;
      }),
    );
    try {
      const before = ctx.simulator.stats().tasksCreated;
      const taskId = await submit(ctx, customer.key, prompt('a dog'));
      expect((await waitForFinal(ctx, customer.key, taskId, 40_000)).status).toBe('SUCCESS');
      expect(died).toBe(true);
      expect(ctx.simulator.stats().tasksCreated - before).toBe(1);
    } finally {
      await stop(w);
    }
  });

  it('when the request never reached the upstream: submitted again, once', { timeout: 60_000 }, async () => {
    let lost = false;
    const w = await workerWith((real) =>
      withSubmit(real, async (channel, body) => {
        if (!lost) {
          lost = true;
          return { ok: false, failure: { kind: 'network', httpStatus: null, code: 'NetworkError', message: 'connection reset', body: null, disposition: 'retry' } };
        }
        return real.submit(channel, body);
      }),
    );
    try {
      const before = ctx.simulator.stats().tasksCreated;
      const taskId = await submit(ctx, customer.key, prompt('a bird'));
      expect((await waitForFinal(ctx, customer.key, taskId, 40_000)).status).toBe('SUCCESS');
      expect(ctx.simulator.stats().tasksCreated - before).toBe(1);
      expect(await orphansOf(taskId)).toEqual([]);
    } finally {
      await stop(w);
    }
  });

  it('when two were lost at once and only one reached the upstream: each task keeps its own outcome', { timeout: 90_000 }, async () => {
    // The account's list shows one new task and cannot say whose: adopting it by time alone would
    // hand the failing prompt's failure to the other task, or its video to the failing one.
    const failing = prompt('[sim:ms=1500] [sim:fail=InternalError] a fox');
    const fine = prompt('[sim:ms=1500] a wolf');
    const lostAnswer = { ok: false as const, failure: { kind: 'network' as const, httpStatus: null, code: 'NetworkError', message: 'connection reset', body: null, disposition: 'retry' as const } };
    const firstTries = new Set<string>();
    const w = await workerWith((real) =>
      withSubmit(real, async (channel, body) => {
        const text = String((body as { input: { prompt: string } }).input.prompt);
        if (firstTries.has(text)) return real.submit(channel, body);
        firstTries.add(text);
        // The failing prompt reaches the upstream and its answer is lost; the other never arrives.
        if (text === failing.prompt) await real.submit(channel, body);
        return lostAnswer;
      }),
    );
    try {
      const before = ctx.simulator.stats().tasksCreated;
      // The one that never arrived is looked for first: by time alone it would take the other's task.
      const fineId = await submit(ctx, customer.key, fine);
      await new Promise((r) => setTimeout(r, 300));
      const failingId = await submit(ctx, customer.key, failing);
      const [failed, succeeded] = await Promise.all([waitForFinal(ctx, customer.key, failingId, 60_000), waitForFinal(ctx, customer.key, fineId, 60_000)]);
      expect(firstTries.size).toBe(2);
      expect(failed.status).toBe('FAILURE');
      expect(succeeded.status).toBe('SUCCESS');
      // The failed upstream task was nobody's to adopt (and DashScope charges nothing for it).
      const orphans = [...(await orphansOf(failingId)), ...(await orphansOf(fineId))];
      expect(orphans.map((o) => o.outcome)).toEqual(['not_charged']);
      expect(ctx.simulator.stats().tasksCreated - before).toBe(3);
    } finally {
      await stop(w);
    }
  });
});

describe('duplicates of a lost submit, while DashScope still allows cancelling them', () => {
  let slow: GatewayContext;
  let who: Customer;
  beforeAll(async () => {
    // Upstream tasks stay PENDING for a minute: long enough to be cancelled once found.
    slow = await createGatewayContext({ simulator: { pendingMs: 60_000 }, env: { UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS) } });
    who = await createCustomer(slow.http, 100_000_000);
  });
  afterAll(async () => {
    await slow?.close();
  });

  const orphans = (taskId: string) => slow.db.selectFrom('upstreamOrphans').select(['upstreamTaskId', 'outcome']).where('taskId', '=', taskId).execute();
  const row = (taskId: string) => slow.db.selectFrom('tasks').selectAll().where('taskId', '=', taskId).executeTakeFirstOrThrow();
  const until = async (check: () => Promise<boolean>) => {
    const deadline = Date.now() + 30_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('adopts one and cancels the other', { timeout: 60_000 }, async () => {
    await slow.stopWorkers();
    let twice = true;
    const infra = await createInfra(slow.config, 'worker');
    const real = new DashScopeClient({ timeoutMs: UPSTREAM_TIMEOUT_MS, metrics: infra.metrics });
    const upstream = withSubmit(real, async (channel, body) => {
      if (!twice) return real.submit(channel, body);
      // Two upstream tasks, and neither answer arrives.
      twice = false;
      await real.submit(channel, body);
      await real.submit(channel, body);
      return { ok: false, failure: { kind: 'timeout', httpStatus: null, code: 'Timeout', message: 'no answer', body: null, disposition: 'retry' } };
    });
    const worker = await startWorker({ config: slow.config, ...infra, log: pino({ level: 'silent' }), upstream });
    try {
      const before = slow.simulator.stats().tasksCreated;
      const taskId = await submit(slow, who.key, prompt('a fish'));
      await until(async () => (await row(taskId)).status === 'QUEUED');
      expect(slow.simulator.stats().tasksCreated - before).toBe(2);
      await until(async () => (await orphans(taskId)).length === 2);
      const found = await orphans(taskId);
      expect(found.map((o) => o.outcome).sort()).toEqual(['adopted', 'cancelled']);
      expect(found.find((o) => o.outcome === 'adopted')?.upstreamTaskId).toBe((await row(taskId)).upstreamTaskId);
    } finally {
      await worker.close();
      await infra.close();
    }
  });

  it('cancels the upstream task of a task cancelled while its submit was lost', { timeout: 60_000 }, async () => {
    await slow.startWorker();
    const taskId = await submit(slow, who.key, prompt('[sim:lost=1] a horse'));
    await until(async () => (await row(taskId)).submitStartedAt !== null);
    const cancel = await slow.http('POST', `/v1/videos/${taskId}/cancel`, { token: who.key });
    expect(cancel.status).toBe(200);
    // The reconciler finds the upstream task it left behind and cancels it.
    await new Promise((r) => setTimeout(r, 2 * (UPSTREAM_TIMEOUT_MS + 2_000) + 2_500));
    await slow.worker.reconcileNow();
    expect(await orphans(taskId)).toEqual([{ upstreamTaskId: expect.any(String), outcome: 'cancelled' }]);
    expect((await row(taskId)).submitStartedAt).toBeNull();
  });
});
