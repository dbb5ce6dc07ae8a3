// vgw, the operator CLI, run as a child process against a real gateway: tables for people,
// --json for scripts, the API's message and a non-zero exit on errors.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestContext, type TestContext } from './helpers/context.ts';
import { specExamples } from './helpers/factories.ts';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../src/cli/vgw.ts');

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function vgw(args: string[], token = ADMIN_TOKEN): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, VGW_URL: ctx.baseUrl, VGW_ADMIN_TOKEN: token } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function json<T = any>(args: string[]): Promise<T> {
  const out = await vgw(['--json', ...args]);
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as T;
}

describe('vgw', () => {
  it('manages users and quota, with tables for people and JSON for scripts', async () => {
    const user = await json(['users', 'create', 'cli-acme', '--quota', '1000000', '--rpm-limit', '60']);
    expect(user).toMatchObject({ name: 'cli-acme', quota: 1_000_000, rpm_limit: 60 });
    const table = await vgw(['users', 'list', '--search', 'cli-acme']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/│ id\s+│ name\s+│ group/);
    expect(table.stdout).toContain('cli-acme');
    const topped = await json(['--idempotency-key', `cli-topup-${user.id}`, 'users', 'topup', String(user.id), '500', '--note', 'invoice 1']);
    const again = await json(['--idempotency-key', `cli-topup-${user.id}`, 'users', 'topup', String(user.id), '500', '--note', 'invoice 1']);
    expect(again).toEqual(topped);
    expect(topped.quota).toBe(1_000_500);
    expect((await json(['users', 'update', String(user.id), '--status', 'disabled'])).status).toBe('disabled');
    expect((await json(['users', 'show', String(user.id)])).status).toBe('disabled');
  });

  it('exits non-zero with the API\'s message on errors', async () => {
    const missing = await vgw(['users', 'show', '999999']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('user 999999 not found (not_found, HTTP 404)');
    const wrong = await vgw(['me'], 'not-a-token');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('admin_unauthorized');
    const badOption = await vgw(['users', 'create', 'x', '--quota', 'lots']);
    expect(badOption.code).not.toBe(0);
    expect(badOption.stderr).toMatch(/expected an integer/);
  });

  it('manages keys, channels, models and groups', async () => {
    const user = await json(['users', 'create', 'cli-keys', '--quota', '10000000']);
    const key = await json(['keys', 'create', String(user.id), '--name', 'ci', '--models', 'wan2.7-t2v', '--max-inflight', '2', '--allowed-ips', '10.0.0.0/8']);
    expect(key).toMatchObject({ name: 'ci', models: ['wan2.7-t2v'], max_inflight: 2, allowed_ips: ['10.0.0.0/8'], key: expect.stringMatching(/^sk-/) });
    expect((await json(['keys', 'update', String(key.id), '--allowed-ips', ''])).allowed_ips).toEqual([]);
    expect((await json(['keys', 'update', String(key.id), '--webhook-events', 'task.in_progress,task.failed'])).webhook_events).toEqual(['task.in_progress', 'task.failed']);
    expect((await json(['keys', 'list', '--user', String(user.id)])).data.map((k: any) => k.id)).toEqual([key.id]);
    // A link that opens the console as the key, once; the key itself is not in it.
    const link = await json(['keys', 'console-session', String(key.id)]);
    expect(link).toMatchObject({ object: 'console.session_code', key_id: key.id, url: `${ctx.baseUrl}/console/act#code=${link.code}` });
    const opened = await ctx.http('POST', '/v1/console/session', { body: { code: new URL(link.url).hash.slice('#code='.length) } });
    expect(opened.body).toMatchObject({ key_id: key.id, opened_by: 'bootstrap (ADMIN_TOKEN)' });
    expect((await vgw(['keys', 'revoke', String(key.id)])).stdout).toContain(`API key ${key.id} revoked`);
    expect((await json(['keys', 'show', String(key.id)])).status).toBe('revoked');

    const channel = await json(['channels', 'add', '--name', 'cli-bj', '--base-url', 'http://127.0.0.1:9', '--api-key', 'sk-cli-000000000abcd', '--max-inflight', '10']);
    expect(channel).toMatchObject({ api_key: 'sk-…abcd', max_inflight: 10 });
    expect((await json(['channels', 'test', String(channel.id)])).ok).toBe(false);
    expect((await json(['channels', 'disable', String(channel.id)])).status).toBe('disabled');
    expect((await json(['channels', 'enable', String(channel.id)])).status).toBe('enabled');
    expect((await json(['channels', 'update', String(channel.id), '--priority', '5'])).priority).toBe(5);
    expect((await json(['channels', 'list', '--status', 'enabled'])).data.map((c: any) => c.id)).toContain(channel.id);
    expect((await vgw(['channels', 'remove', String(channel.id)])).code).toBe(0);

    expect((await json(['models', 'set-price', 'wan2.7-i2v', '--price', '0.2', '--ratio', '720P=1', '--ratio', '1080P=2'])).resolution_ratios).toEqual({ '720P': 1, '1080P': 2 });
    expect((await json(['models', 'list'])).data.find((m: any) => m.model === 'wan2.7-i2v').price).toBe(0.2);
    expect((await json(['groups', 'create', 'cli-vip', '0.5'])).ratio).toBe(0.5);
    expect((await json(['groups', 'update', 'cli-vip', '0.7'])).ratio).toBe(0.7);
    expect((await vgw(['groups', 'list'])).stdout).toContain('cli-vip');
  });

  it('lists, shows and fails tasks; exports logs as CSV; reports usage, the audit log and the system', async () => {
    const user = await json(['users', 'create', 'cli-tasks', '--quota', '10000000']);
    const key = await json(['keys', 'create', String(user.id)]);
    const submitted = await ctx.http('POST', '/v1/video/generations', { token: key.key, body: specExamples.t2v });
    const taskId = submitted.body.id as string;
    expect((await json(['tasks', 'list', '--user', String(user.id)])).data.map((t: any) => t.task_id)).toEqual([taskId]);
    expect((await json(['tasks', 'show', taskId])).price_snapshot.quota).toBe(250_000);
    expect(await json(['tasks', 'fail', taskId, '--reason', 'stuck'])).toMatchObject({ status: 'FAILURE', refunded: 250_000 });
    const refused = await vgw(['tasks', 'fail', taskId, '--reason', 'stuck']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('has already ended');

    const csv = await vgw(['logs', '--user', String(user.id), '--csv']);
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.type)).toEqual(['6', '2', '1']);
    const usage = await json(['usage', '--by', 'model', '--user', String(user.id)]);
    expect(usage.data).toEqual([expect.objectContaining({ bucket: 'wan2.7-t2v', tasks: 1, failed: 1, quota_net: 0 })]);
    expect((await vgw(['usage', '--by', 'day'])).stdout).toMatch(/│ bucket\s+│ tasks/);
    expect((await json(['audit', '--action', 'task.fail'])).data[0].target_id).toBe(taskId);
    expect(await json(['webhooks', '--task', taskId])).toEqual({ data: [], next_cursor: null });
    const system = await vgw(['system']);
    expect(system.code).toBe(0);
    expect(system.stdout).toMatch(/│ tasks\s+│/);
  });

  it('creates, lists and deletes admin tokens, and says who is calling', async () => {
    const token = await json(['tokens', 'create', 'cli reader', '--scope', 'read']);
    expect(token.token).toMatch(/^vgwa_/);
    expect((await json(['tokens', 'list'])).data.map((t: any) => t.name)).toContain('cli reader');
    const reader = await vgw(['--json', 'me'], token.token);
    expect(JSON.parse(reader.stdout)).toMatchObject({ name: 'cli reader', scope: 'read' });
    const refused = await vgw(['users', 'create', 'nope'], token.token);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('admin_read_only');
    expect((await vgw(['tokens', 'delete', String(token.id)])).stdout).toContain('deleted');
  });
});
