// One-statement baseline: the same charged submit as the transaction baseline (debit a random
// account if its balance covers the price, insert the task and the log row), written as one
// statement of data-modifying CTEs and sent in autocommit: one round trip and one commit per
// request. This is the floor for a gateway that charges each submit on its own.
import { randomBytes, randomInt } from 'node:crypto';
import { QUOTA_PER_SUBMIT } from '../workload.ts';
import { serveBaseline } from './serve.ts';

// The task and the log are inserted only from the debit's row, so when the balance is short
// nothing changes and no row comes back.
const SUBMIT = {
  // Named: parsed and planned once per connection, as the gateway's prepared statements are.
  name: 'baseline-submit',
  text: `
    WITH debit AS (
      UPDATE accounts SET balance = balance - $2::bigint, used = used + $2::bigint, updated_at = now()
      WHERE id = $1::int AND balance >= $2::bigint
      RETURNING id
    ), task AS (
      INSERT INTO tasks (public_id, user_id, model, quota, request)
      SELECT $3::text, id, $4::text, $2::bigint, $5::jsonb FROM debit
      RETURNING public_id
    ), log AS (
      INSERT INTO logs (type, user_id, task_id, quota, content)
      SELECT 2, id, $3::text, $2::bigint, $6::text FROM debit
    )
    SELECT public_id FROM task`,
};

await serveBaseline((app, pool, { users }) => {
  app.post<{ Body: { model?: string } }>('/v1/tasks', async (request, reply) => {
    const userId = randomInt(1, users + 1);
    const publicId = `task_${randomBytes(16).toString('hex')}`;
    const model = request.body.model ?? '';
    const { rowCount } = await pool.query({ ...SUBMIT, values: [userId, QUOTA_PER_SUBMIT, publicId, model, request.body, `consume ${model}`] });
    if (rowCount !== 1) return reply.code(402).send({ error: 'insufficient balance' });
    return { id: publicId, status: 'queued' };
  });
});
