// Every entry point, run as its own process with PostgreSQL or Redis out of reach, says which
// setting to look at and what to try, and exits non-zero well within 30 s: no raw stack trace,
// no endless reconnecting.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { adminQuery } from '../helpers/context.ts';
import { freePort } from '../helpers/free-port.ts';
import { withDatabase } from '../setup/database-url.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const DEADLINE_MS = 30_000;

const ENTRY_POINTS = {
  start: 'src/entrypoints/start.ts',
  api: 'src/entrypoints/api.ts',
  worker: 'src/entrypoints/worker.ts',
  'db:migrate': 'src/db/migrate.ts',
} as const;

interface Exit {
  code: number | null;
  output: string;
  ms: number;
}

function run(args: string[], env: Record<string, string>): Promise<Exit> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS + 5_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

function expectFriendlyExit(exit: Exit, setting: string) {
  expect(exit.ms, exit.output).toBeLessThan(DEADLINE_MS);
  expect(exit.code, exit.output).not.toBe(0);
  expect(exit.code, exit.output).not.toBeNull();
  expect(exit.output).toContain(setting);
  expect(exit.output).toMatch(/check that|run npm run db:migrate/i);
  // A message for a person, not a stack trace.
  expect(exit.output).not.toMatch(/^\s+at /m);
}

describe('with PostgreSQL unreachable', () => {
  it.each(Object.entries(ENTRY_POINTS))('%s names DATABASE_URL and exits non-zero', async (_name, entry) => {
    const exit = await run([entry], { DATABASE_URL: `postgresql://postgres:secret@127.0.0.1:${await freePort()}/nowhere`, REDIS_URL: inject('redisUrl') });
    expectFriendlyExit(exit, 'DATABASE_URL');
    // The password is not printed.
    expect(exit.output).not.toContain('secret');
  });

  it('npm start (through scripts/run.mjs) passes the failure on', async () => {
    const exit = await run(['scripts/run.mjs', ENTRY_POINTS.start], { DATABASE_URL: `postgresql://postgres@127.0.0.1:${await freePort()}/nowhere`, REDIS_URL: inject('redisUrl') });
    expectFriendlyExit(exit, 'DATABASE_URL');
  });
});

describe('with Redis unreachable', () => {
  // start creates its database; the others need one that exists (and nothing here may touch the
  // template the other test files clone).
  const missing = `vgw_unreachable_${randomBytes(4).toString('hex')}`;
  afterAll(() => adminQuery(`DROP DATABASE IF EXISTS ${missing} WITH (FORCE)`));

  it.each(['start', 'api', 'worker'] as const)('%s names REDIS_URL and exits non-zero', async (name) => {
    const exit = await run([ENTRY_POINTS[name]], {
      DATABASE_URL: withDatabase(inject('databaseUrl'), name === 'start' ? missing : 'postgres'),
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    expectFriendlyExit(exit, 'REDIS_URL');
  }, DEADLINE_MS + 10_000);

  it('a worker on a Redis Cluster nobody runs names REDIS_CLUSTER_NODES and exits non-zero', async () => {
    const exit = await run([ENTRY_POINTS.worker], {
      DATABASE_URL: withDatabase(inject('databaseUrl'), 'postgres'),
      REDIS_CLUSTER_NODES: `127.0.0.1:${await freePort()},127.0.0.1:${await freePort()}`,
    });
    expectFriendlyExit(exit, 'REDIS_CLUSTER_NODES');
  }, DEADLINE_MS + 10_000);
});

describe('with a database that does not exist', () => {
  it.each(['api', 'worker'] as const)('%s says to run db:migrate', async (name) => {
    const exit = await run([ENTRY_POINTS[name]], { DATABASE_URL: withDatabase(inject('databaseUrl'), 'vgw_never_created'), REDIS_URL: inject('redisUrl') });
    expectFriendlyExit(exit, 'DATABASE_URL');
    expect(exit.output).toMatch(/npm run db:migrate/);
  });
});
