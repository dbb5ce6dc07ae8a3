// Per-key budgets in a sliding one-second window, and the counters that show whether a client
// stayed within them.
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimit } from '../../src/simulator/rate-limiter.ts';
import { type Harness, sleep, startSimulator, t2v } from './harness.ts';

describe('RateLimit', () => {
  it('admits `limit` requests per key in any 1000 ms; throttled ones use up no budget', () => {
    const limit = new RateLimit(2);
    const at = (now: number, key = 'k') => limit.admit(key, now);
    expect([at(0), at(500), at(999), at(999, 'other')]).toEqual([true, true, false, true]);
    // At 1000 the request from 0 has left the window; the one from 500 has not.
    expect([at(1000), at(1001), at(1499), at(1500)]).toEqual([true, false, false, true]);
    // The peak counts every request, throttled or not, of every key: six in (500, 1500].
    expect(limit.stats()).toEqual({ requests: 8, throttled: 3, peakPerSecond: 6, limit: 2 });
  });

  it('keeps an exact peak across a long run', () => {
    const limit = new RateLimit(100);
    for (let now = 0; now < 20_000; now += 10) limit.admit('k', now);
    expect(limit.stats()).toEqual({ requests: 2000, throttled: 0, peakPerSecond: 100, limit: 100 });
    // (19005, 20005] already holds 99, so one of three more fits.
    expect([20_005, 20_005, 20_005].map((now) => limit.admit('k', now))).toEqual([true, false, false]);
    expect(limit.stats()).toMatchObject({ throttled: 2, peakPerSecond: 102 });
  });
});

let sim: Harness;
afterEach(() => sim?.close());

const THROTTLED = { code: 'Throttling.RateQuota', message: 'Requests rate limit exceeded, please try again later.' };

describe('submits', () => {
  it('with submitQps 2, the third within a second is 429 and the next second admits again', async () => {
    sim = await startSimulator({ submitQps: 2 });
    const first = await sim.submit(t2v('a cat'));
    const firstDone = Date.now();
    expect(first.status).toBe(200);
    expect((await sim.submit(t2v('a cat'))).status).toBe(200);
    const third = await sim.submit(t2v('a cat'));
    expect(third.status).toBe(429);
    expect(third.body).toEqual({ ...THROTTLED, request_id: third.headers.get('x-request-id') });

    await sleep(firstDone + 1_000 - Date.now() + 20);
    expect((await sim.submit(t2v('a cat'))).status).toBe(200);

    expect(sim.simulator.stats()).toEqual({
      submit: { requests: 4, throttled: 1, peakPerSecond: 3, limit: 2 },
      query: { requests: 0, throttled: 0, peakPerSecond: 0, limit: 1000 },
      tasksCreated: 3,
    });
  });

  it('does not count requests refused for their key', async () => {
    sim = await startSimulator({ submitQps: 1 });
    expect((await sim.submit(t2v('a cat'), { key: 'sk-wrong' })).status).toBe(401);
    expect((await sim.submit(t2v('a cat'), { async: false })).status).toBe(403);
    expect((await sim.submit(t2v('a cat'))).status).toBe(200);
    expect(sim.simulator.stats().submit).toEqual({ requests: 1, throttled: 0, peakPerSecond: 1, limit: 1 });
  });
});

describe('queries', () => {
  it('count task queries and cancels together against queryQps', async () => {
    sim = await startSimulator({ queryQps: 3 });
    const taskId = (await sim.submit(t2v('a cat'))).body.output.task_id;
    expect((await sim.query(taskId)).status).toBe(200);
    expect((await sim.cancel(taskId)).status).toBe(200);
    expect((await sim.query('other')).status).toBe(200);
    const fourth = await sim.cancel(taskId);
    expect(fourth.status).toBe(429);
    expect(fourth.body).toMatchObject(THROTTLED);
    expect(sim.simulator.stats().query).toEqual({ requests: 4, throttled: 1, peakPerSecond: 4, limit: 3 });
  });

  it('have a budget separate from submits', async () => {
    sim = await startSimulator({ submitQps: 1, queryQps: 1 });
    const taskId = (await sim.submit(t2v('a cat'))).body.output.task_id;
    expect((await sim.query(taskId)).status).toBe(200);
    expect((await sim.submit(t2v('a cat'))).status).toBe(429);
    expect((await sim.query(taskId)).status).toBe(429);
  });
});

describe('GET /__sim/stats', () => {
  it('reports the same counters as stats(), for clients in another process', async () => {
    sim = await startSimulator({ submitQps: 5, queryQps: 20 });
    await Promise.all(Array.from({ length: 7 }, () => sim.submit(t2v('a cat'))));
    const reply = await sim.call('GET', '/__sim/stats', { key: null });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      submit: { requests: 7, throttled: 2, peakPerSecond: 7, limit: 5 },
      query: { requests: 0, throttled: 0, peakPerSecond: 0, limit: 20 },
      tasksCreated: 5,
    });
    expect(reply.body).toEqual(sim.simulator.stats());
  });
});

describe('storms', () => {
  it('answers every submit and query with the storm\'s error while it lasts, then as before', async () => {
    sim = await startSimulator();
    const taskId = (await sim.submit(t2v('a cat'))).body.output.task_id as string;
    sim.simulator.storm({ status: 429, forMs: 300 });
    expect((await sim.submit(t2v('a cat'))).body).toMatchObject(THROTTLED);
    expect((await sim.query(taskId)).status).toBe(429);
    // A bad key is still told so: the storm comes after authentication, as DashScope's throttling does.
    expect((await sim.submit(t2v('a cat'), { key: 'sk-wrong' })).status).toBe(401);
    sim.simulator.storm({ status: 500, forMs: 300 });
    const failed = await sim.submit(t2v('a cat'));
    expect([failed.status, failed.body.code]).toEqual([500, 'InternalError']);
    await sleep(350);
    expect((await sim.submit(t2v('a cat'))).status).toBe(200);
    expect((await sim.query(taskId)).status).toBe(200);
  });
});
