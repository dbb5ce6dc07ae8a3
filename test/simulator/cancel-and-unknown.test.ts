// Cancel works on PENDING tasks only; any id the simulator does not hold is UNKNOWN, never 404.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHINA_TIME, type Harness, sleep, startSimulator, t2v } from './harness.ts';

let sim: Harness;
beforeAll(async () => {
  sim = await startSimulator({ pendingMs: 300, runningMs: 300 });
});
afterAll(() => sim.close());

const REFUSAL = { code: 'UnsupportedOperation', message: 'Failed to cancel the task, please confirm if the task is in PENDING status.' };

describe('cancel', () => {
  it('cancels a PENDING task: 200 {"request_id"}, then CANCELED for good', async () => {
    const taskId = (await sim.submit(t2v('a cat'))).body.output.task_id;
    const reply = await sim.cancel(taskId);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ request_id: reply.headers.get('x-request-id') });

    await sleep(700);
    const after = await sim.query(taskId);
    expect(after.body.output).toEqual({
      task_id: taskId,
      task_status: 'CANCELED',
      submit_time: expect.stringMatching(CHINA_TIME),
      end_time: expect.stringMatching(CHINA_TIME),
    });
    expect(await sim.cancel(taskId)).toMatchObject({ status: 400, body: REFUSAL });
  });

  it('refuses a RUNNING task with 400 UnsupportedOperation', async () => {
    const taskId = (await sim.submit(t2v('a cat'))).body.output.task_id;
    await sim.waitFor(taskId, 'RUNNING');
    const reply = await sim.cancel(taskId);
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ ...REFUSAL, request_id: reply.headers.get('x-request-id') });
    expect((await sim.waitFor(taskId, 'SUCCEEDED')).seen).toEqual(['RUNNING', 'SUCCEEDED']);
  });

  it('refuses a finished task and an unknown id', async () => {
    const taskId = (await sim.submit(t2v('a cat'))).body.output.task_id;
    await sim.waitFor(taskId, 'SUCCEEDED');
    expect(await sim.cancel(taskId)).toMatchObject({ status: 400, body: REFUSAL });
    expect(await sim.cancel('no-such-task')).toMatchObject({ status: 400, body: REFUSAL });
  });

  it('ignores whatever body and Content-Type a client sends with it', async () => {
    const taskId = (await sim.submit(t2v('a cat'))).body.output.task_id;
    const reply = await sim.call('POST', `/api/v1/tasks/${taskId}/cancel`, { raw: '', headers: { 'content-type': 'application/json' } });
    expect(reply.status).toBe(200);
  });
});

describe('unknown task ids', () => {
  it.each(['1111', '00000000-0000-4000-8000-000000000000', 'task_AbCdEf1234567890XyZw'])('%s → 200 UNKNOWN', async (taskId) => {
    const reply = await sim.query(taskId);
    expect(reply.status).toBe(200);
    expect(reply.text).toBe(`{"request_id":"${reply.headers.get('x-request-id')}","output":{"task_id":"${taskId}","task_status":"UNKNOWN"}}`);
  });
});
