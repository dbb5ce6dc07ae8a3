// Fault directives in prompts, end to end, and how they are cut out of the prompt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractDirectives } from '../../src/simulator/directives.ts';
import { type Harness, sleep, startSimulator, t2v } from './harness.ts';

let sim: Harness;
beforeAll(async () => {
  // Phases long enough for the 10 ms polling to see each one even on a busy machine.
  sim = await startSimulator({ pendingMs: 150, runningMs: 150 });
});
afterAll(() => sim.close());

const submitted = async (prompt: string) => {
  const reply = await sim.submit(t2v(prompt));
  expect(reply.status, reply.text).toBe(200);
  return reply.body.output.task_id as string;
};

describe('extractDirectives', () => {
  it.each([
    ['a cat [sim:fail] running', 'a cat running'],
    ['[sim:fail] a cat', 'a cat'],
    ['a cat\n\n[sim:fail]', 'a cat'],
    ['a cat [sim:fail] [sim:ms=5]  running', 'a cat running'],
    ['a cat[sim:fail]running', 'a catrunning'],
    ['  untouched  ', '  untouched  '],
    ['not a directive: [sim fail]', 'not a directive: [sim fail]'],
  ])('%j → %j', (prompt, expected) => {
    expect(extractDirectives(prompt).prompt).toBe(expected);
  });

  it('reads every directive of a combined prompt', () => {
    expect(extractDirectives('x [sim:fail=DataInspectionFailed][sim:ms=250] [sim:flaky=2] [sim:unknown] [sim:reject=429:Throttling.RateQuota]').directives).toEqual({
      fail: { code: 'DataInspectionFailed' },
      runningMs: 250,
      flaky: 2,
      unknown: true,
      reject: { status: 429, code: 'Throttling.RateQuota' },
    });
    expect(extractDirectives('x [sim:fail]').directives).toEqual({ fail: {}, unknown: false });
  });
});

describe('[sim:fail=CODE]', () => {
  it('ends the task FAILED with that code and DashScope\'s message, and no usage', async () => {
    const taskId = await submitted('a cat [sim:fail=DataInspectionFailed]');
    const { seen, last } = await sim.waitFor(taskId, 'FAILED');
    expect(seen).toEqual(['PENDING', 'RUNNING', 'FAILED']);
    expect(Object.keys(last.body)).toEqual(['request_id', 'output']);
    expect(last.body.output).toEqual({
      task_id: taskId,
      task_status: 'FAILED',
      submit_time: expect.any(String),
      scheduled_time: expect.any(String),
      end_time: expect.any(String),
      code: 'DataInspectionFailed',
      message: 'Input or output data may contain inappropriate content.',
    });
  });

  it('gives codes it has no text for a generic message', async () => {
    const { last } = await sim.waitFor(await submitted('a cat [sim:fail=Some.NewCode]'), 'FAILED');
    expect(last.body.output.code).toBe('Some.NewCode');
    expect(last.body.output.message).toBe('An error occurred while processing the request.');
  });
});

describe('[sim:fail]', () => {
  it('ends the task FAILED with neither code nor message', async () => {
    const { last } = await sim.waitFor(await submitted('a cat [sim:fail]'), 'FAILED');
    expect(Object.keys(last.body.output)).toEqual(['task_id', 'task_status', 'submit_time', 'scheduled_time', 'end_time']);
  });
});

describe('[sim:reject=HTTP:CODE]', () => {
  it.each([
    [400, 'InvalidParameter', 'Required parameter(s) missing or invalid, please check the request parameters.'],
    [401, 'InvalidApiKey', 'Invalid API-key provided.'],
    [400, 'Arrearage', 'Access denied, please make sure your account is in good standing.'],
    [429, 'Throttling.RateQuota', 'Requests rate limit exceeded, please try again later.'],
    [503, 'ServiceUnavailable', 'An error occurred while processing the request.'],
  ])('answers %i %s without creating a task', async (status, code, message) => {
    const before = sim.simulator.stats().tasksCreated;
    const reply = await sim.submit(t2v(`a cat [sim:reject=${status}:${code}]`));
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual({ code, message, request_id: reply.headers.get('x-request-id') });
    expect(sim.simulator.stats().tasksCreated).toBe(before);
  });

  it('wins over validation errors in the same body', async () => {
    const reply = await sim.submit({ model: 'wan2.7-nope', input: { prompt: '[sim:reject=400:Arrearage]' } });
    expect(reply.body.code).toBe('Arrearage');
  });
});

describe('[sim:unknown]', () => {
  it('makes every query answer UNKNOWN, and the task cannot be canceled', async () => {
    const taskId = await submitted('a cat [sim:unknown]');
    for (let i = 0; i < 3; i += 1) {
      const reply = await sim.query(taskId);
      expect(reply.body.output).toEqual({ task_id: taskId, task_status: 'UNKNOWN' });
      await sleep(80);
    }
    expect((await sim.cancel(taskId)).body.code).toBe('UnsupportedOperation');
  });
});

describe('[sim:ms=N]', () => {
  it('keeps the task RUNNING for N ms', async () => {
    const { last } = await sim.waitFor(await submitted('a cat [sim:ms=400]'), 'SUCCEEDED');
    const { scheduled_time, end_time } = last.body.output;
    expect(Date.parse(end_time.replace(' ', 'T')) - Date.parse(scheduled_time.replace(' ', 'T'))).toBe(400);
  });
});

describe('[sim:flaky=N]', () => {
  it('fails the first N submits of the same prompt, then the first N queries of its task, with 500 InternalError', async () => {
    const prompt = 'a flaky cat [sim:flaky=2]';
    for (let i = 0; i < 2; i += 1) {
      const reply = await sim.submit(t2v(prompt));
      expect(reply.status).toBe(500);
      expect(reply.body).toEqual({
        code: 'InternalError',
        message: 'An internal error has occured, please try again later or contact service support.',
        request_id: reply.headers.get('x-request-id'),
      });
    }
    const taskId = await submitted(prompt);
    for (let i = 0; i < 2; i += 1) {
      const query = await sim.query(taskId);
      expect(query.status).toBe(500);
      expect(query.body.code).toBe('InternalError');
    }
    const { seen } = await sim.waitFor(taskId, 'SUCCEEDED');
    expect(seen).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
  });

  it('counts per prompt text after the directives are removed', async () => {
    expect((await sim.submit(t2v('a flaky dog [sim:flaky=1]'))).status).toBe(500);
    // Same text, directive elsewhere: the failure is already used up.
    expect((await sim.submit(t2v('[sim:flaky=1] a flaky dog'))).status).toBe(200);
    // Other text: its own counter.
    expect((await sim.submit(t2v('a flaky bird [sim:flaky=1]'))).status).toBe(500);
  });
});

describe('[sim:slow=N]', () => {
  it('creates the task at once but answers the submit only after N ms', async () => {
    const before = sim.simulator.stats().tasksCreated;
    const started = Date.now();
    const pending = sim.submit(t2v('a slow cat [sim:slow=600]'));
    await sleep(150);
    expect(sim.simulator.stats().tasksCreated - before).toBe(1);
    const reply = await pending;
    expect(reply.status, reply.text).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(590);
    await sim.waitFor(reply.body.output.task_id as string, 'SUCCEEDED');
  });
});

describe('malformed directives', () => {
  it.each([
    ['[sim:explode]', 'Unknown simulator directive [sim:explode]; known: fail, reject, unknown, ms, flaky, lost, slow.'],
    ['[sim:reject=oops]', 'Malformed simulator directive [sim:reject=oops]; expected [sim:reject=HTTP:CODE], e.g. [sim:reject=429:Throttling.RateQuota].'],
    ['[sim:ms=soon]', 'Malformed simulator directive [sim:ms=soon]; expected [sim:ms=N] with N a whole number of milliseconds.'],
  ])('%s → 400 InvalidParameter', async (directive, message) => {
    const reply = await sim.submit(t2v(`a cat ${directive}`));
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ code: 'InvalidParameter', message });
  });
});

describe('the prompt left after the directives', () => {
  it('is what validation sees, while orig_prompt echoes the prompt as sent', async () => {
    const { last } = await sim.waitFor(await submitted('a cat [sim:ms=10]  by the sea'), 'SUCCEEDED');
    expect(last.body.output.orig_prompt).toBe('a cat [sim:ms=10]  by the sea');
    const empty = await sim.submit(t2v('[sim:ms=10]'));
    expect(empty.body.message).toBe('Field required: input.prompt');
  });
});
