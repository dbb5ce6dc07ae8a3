// Result links behave like DashScope's signed OSS links: they expire, cannot be forged, and serve
// byte ranges.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRange } from '../../src/simulator/result-video.routes.ts';
import { type Harness, sleep, startSimulator, t2v } from './harness.ts';

const ossError = (code: string, message: string) =>
  new RegExp(`^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<Error>\\n  <Code>${code}</Code>\\n  <Message>${message.replace(/\./g, '\\.')}</Message>\\n  <RequestId>[0-9A-F]{24}</RequestId>`);

describe('with a one-second retention', () => {
  let sim: Harness;
  beforeAll(async () => {
    sim = await startSimulator({ retentionS: 1 });
  });
  afterAll(() => sim.close());

  it('the link answers 403 "Request has expired." and the task turns UNKNOWN', async () => {
    const taskId = (await sim.submit(t2v('a cat'))).body.output.task_id;
    const { last } = await sim.waitFor(taskId, 'SUCCEEDED');
    const url = last.body.output.video_url as string;
    expect((await fetch(url)).status).toBe(200);

    const expires = Number(new URL(url).searchParams.get('Expires'));
    await sleep(expires * 1000 - Date.now() + 50);
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(expired.headers.get('content-type')).toBe('application/xml');
    expect(await expired.text()).toMatch(ossError('AccessDenied', 'Request has expired.'));

    const gone = await sim.query(taskId);
    expect(gone.status).toBe(200);
    expect(gone.body).toEqual({ request_id: gone.headers.get('x-request-id'), output: { task_id: taskId, task_status: 'UNKNOWN' } });
  });
});

describe('a valid link', () => {
  let sim: Harness;
  let url: URL;
  beforeAll(async () => {
    sim = await startSimulator();
    const taskId = (await sim.submit(t2v('a cat'))).body.output.task_id;
    url = new URL((await sim.waitFor(taskId, 'SUCCEEDED')).last.body.output.video_url);
  });
  afterAll(() => sim.close());

  it('cannot be moved to another task', async () => {
    const other = new URL(url);
    other.pathname = '/results/00000000-0000-0000-0000-000000000000.mp4';
    const reply = await fetch(other);
    expect(reply.status).toBe(403);
    expect(await reply.text()).toMatch(ossError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'));
  });

  it('cannot have its expiry pushed back', async () => {
    const later = new URL(url);
    later.searchParams.set('Expires', String(Number(url.searchParams.get('Expires')) + 3600));
    expect((await fetch(later)).status).toBe(403);
  });

  it('is refused without its signature', async () => {
    const bare = new URL(url.pathname, url.origin);
    const reply = await fetch(bare);
    expect(reply.status).toBe(403);
    expect(await reply.text()).toMatch(ossError('AccessDenied', 'You have no right to access this object because of bucket acl.'));
  });

  it('serves a byte range with 206 and Content-Range', async () => {
    const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
    const part = await fetch(url, { headers: { range: 'bytes=4-11' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 4-11/${whole.length}`);
    expect(part.headers.get('content-length')).toBe('8');
    expect(Buffer.from(await part.arrayBuffer()).equals(whole.subarray(4, 12))).toBe(true);

    const beyond = await fetch(url, { headers: { range: `bytes=${whole.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${whole.length}`);
  });

  it('answers HEAD with the length and no body', async () => {
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(10_000);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });
});

describe('a publicUrl given as a function', () => {
  it('is read when the link is made, so it can name the port chosen at listen', async () => {
    let publicBase = 'unset';
    const sim = await startSimulator({ publicUrl: () => publicBase });
    try {
      publicBase = `${sim.base.replace('127.0.0.1', 'localhost')}/`;
      const taskId = (await sim.submit(t2v('a cat'))).body.output.task_id;
      const url = new URL((await sim.waitFor(taskId, 'SUCCEEDED')).last.body.output.video_url);
      expect(url.origin).toBe(sim.base.replace('127.0.0.1', 'localhost'));
      expect(url.pathname).toBe(`/results/${taskId}.mp4`);
      expect((await fetch(url)).status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});

describe('parseRange', () => {
  it.each([
    [undefined, null],
    ['bytes=0-99', [0, 99]],
    ['bytes=100-', [100, 999]],
    ['bytes=-100', [900, 999]],
    ['bytes=-5000', [0, 999]],
    ['bytes=990-5000', [990, 999]],
    ['bytes=1000-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=50-10', null],
    ['bytes=0-1,5-9', null],
    ['items=0-1', null],
  ] as const)('%s of 1000 bytes → %j', (header, expected) => {
    expect(parseRange(header, 1000)).toEqual(expected);
  });
});
