// examples/openai-videos.mjs, the README's script that uses nothing but the `openai` package, run
// as a user runs it: its own process, configured only by the SDK's environment variables.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCustomer, type Customer } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext } from '../helpers/gateway.ts';

const SCRIPT = new URL('../../examples/openai-videos.mjs', import.meta.url).pathname;
const SAMPLE_MP4 = new URL('../../src/simulator/assets/sample.mp4', import.meta.url);

let ctx: GatewayContext;
let customer: Customer;
let cwd: string;

beforeAll(async () => {
  ctx = await createGatewayContext();
  customer = await createCustomer(ctx.http, 10_000_000);
  cwd = await mkdtemp(path.join(tmpdir(), 'vgw-example-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
  await ctx.close();
});

async function runExample(args: string[], env: Record<string, string> = {}): Promise<{ id: string; stdout: string }> {
  const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, ...args], {
    cwd,
    env: { PATH: process.env.PATH, OPENAI_BASE_URL: `${ctx.baseUrl}/v1`, OPENAI_API_KEY: customer.key, ...env },
    timeout: 30_000,
  });
  const id = /^created (task_\w+): queued, 5 s at 1280x720$/m.exec(stdout)?.[1];
  expect(id, stdout).toBeDefined();
  return { id: id!, stdout };
}

it('creates, polls, lists, downloads to the path it is given and deletes a video', async () => {
  const output = path.join(cwd, 'cat.mp4');
  const { id, stdout } = await runExample([output]);
  expect(stdout).toContain('  completed 100%');
  expect(stdout).toContain(`${id} (completed)`);
  expect(stdout).toContain(`downloaded ${id} to ${output}: `);
  expect(stdout).toContain(`deleted: {"id":"${id}","object":"video.deleted","deleted":true}`);
  expect(await readdir(cwd)).toEqual(['cat.mp4']);
  expect(await readFile(output)).toEqual(await readFile(SAMPLE_MP4));
  expect(await ctx.db.selectFrom('tasks').selectAll().where('taskId', '=', id).executeTakeFirstOrThrow()).toMatchObject({ deletedAt: expect.any(Date) });
});

it('writes into a new temporary folder, not the current one, when given no path', async () => {
  const temporary = await mkdtemp(path.join(tmpdir(), 'vgw-example-tmp-'));
  try {
    await rm(path.join(cwd, 'cat.mp4'), { force: true });
    const { id, stdout } = await runExample([], { TMPDIR: temporary });
    const [folder, ...others] = await readdir(temporary);
    expect(others).toEqual([]);
    const output = path.join(temporary, folder!, `${id}.mp4`);
    expect(stdout).toContain(`downloaded ${id} to ${output}: `);
    expect(await readFile(output)).toEqual(await readFile(SAMPLE_MP4));
    expect(await readdir(cwd)).toEqual([]);
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
});
