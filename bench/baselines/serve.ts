// Start-up shared by the baseline servers, which run as child processes like the gateway: the
// same settings from the environment, a pg pool of the gateway's size, a readiness route and a
// clean stop on SIGTERM.
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { exitOnSignal } from '../lib/exit-on-signal.ts';

export interface BaselineSettings {
  users: number;
  /** Statements the batched baseline runs at once. */
  batchesInFlight: number;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export async function serveBaseline(register: (app: FastifyInstance, pool: pg.Pool, settings: BaselineSettings) => void): Promise<void> {
  const pool = new pg.Pool({ connectionString: required('DATABASE_URL'), max: Number(required('DATABASE_POOL_SIZE')) });
  // An idle client's connection can die (the bench drops the database at the end); without a
  // listener that error would crash the process instead of just discarding the client.
  pool.on('error', () => undefined);
  const app = Fastify({ logger: false });
  app.get('/readyz', async () => {
    await pool.query('SELECT 1');
    return { status: 'ready' };
  });
  register(app, pool, { users: Number(required('BASELINE_USERS')), batchesInFlight: Number(required('BASELINE_BATCHES_IN_FLIGHT')) });
  await app.listen({ port: Number(required('PORT')), host: required('HOST') });
  exitOnSignal(app, () => pool.end());
}
