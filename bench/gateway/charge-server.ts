// The gateway's charge with nothing in front of it: one bare Fastify route, as the baselines have,
// that charges every request with the gateway's own batcher and statement (the settings and the
// database the gateway would use), paid by the next customer in turn. No authentication,
// validation, pricing, hooks or metrics: its rate over the one-statement baseline is the most
// `submit_ratio` can reach with this statement on this machine, and the gateway's submit over it
// is the share of that the API keeps.
import Fastify from 'fastify';
import { sql } from 'kysely';
import { pino } from 'pino';
import { databaseOptions, loadConfig } from '../../src/config/env.ts';
import { openDatabase } from '../../src/db/database.ts';
import { ChargeBatcher } from '../../src/modules/tasks/charge-batcher.ts';
import { exitOnSignal } from '../lib/exit-on-signal.ts';
import { rotation } from '../lib/rotation.ts';
import { chargeRowFor, type Payer } from './charge-row.ts';

const config = loadConfig();
const database = openDatabase(databaseOptions(config));
const payers = await sql<Payer>`SELECT user_id AS "userId", id AS "keyId" FROM api_keys ORDER BY id`.execute(database.db);
const nextPayer = rotation(payers.rows);
const charges = new ChargeBatcher(database.db, {
  maxBatch: config.CHARGE_BATCH_MAX,
  concurrency: config.CHARGE_BATCH_CONCURRENCY,
  log: pino({ level: 'warn' }),
  onCharged: () => undefined,
  onStatement: () => undefined,
});

const app = Fastify({ logger: false });
app.get('/readyz', async () => ({ status: 'ready' }));
app.post('/v1/tasks', async (_request, reply) => {
  const outcome = await charges.charge(chargeRowFor(nextPayer()));
  if (outcome.kind !== 'charged') return reply.code(402).send({ error: outcome.kind });
  return { id: outcome.created.taskId, status: 'queued' };
});
await app.listen({ port: config.PORT, host: config.HOST });
exitOnSignal(app, () => database.close());
