// The simulator's own health route, and the script the containers run as their health check.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.ts';
import { type Harness, startSimulator } from './harness.ts';

const HEALTHCHECK = new URL('../../src/entrypoints/healthcheck.ts', import.meta.url).pathname;

let sim: Harness;
beforeAll(async () => {
  sim = await startSimulator({ submitQps: 1 });
});
afterAll(() => sim.close());

/** The health check's exit code for `url`. */
async function healthcheck(...args: string[]): Promise<number> {
  return promisify(execFile)(process.execPath, [HEALTHCHECK, ...args]).then(
    () => 0,
    (err: { code: number }) => err.code,
  );
}

describe('GET /__sim/healthz', () => {
  it('answers without a key, and whatever the rate limits say', async () => {
    await Promise.all([sim.submit({}), sim.submit({})]);
    const reply = await sim.call('GET', '/__sim/healthz', { key: null });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok' });
  });
});

describe('src/entrypoints/healthcheck.ts', () => {
  it('exits 0 when the URL answers 2xx', async () => {
    expect(await healthcheck(`${sim.base}/__sim/healthz`)).toBe(0);
  });

  it('exits 1 when it answers otherwise, or not at all', async () => {
    expect(await healthcheck(`${sim.base}/no-such-route`)).toBe(1);
    expect(await healthcheck(`http://127.0.0.1:${await freePort()}/healthz`)).toBe(1);
  });

  it('exits 2 without a URL', async () => {
    expect(await healthcheck()).toBe(2);
  });
});
