// Transaction baseline: what one charged submit costs done by hand, with one pooled client per
// request: debit a random account, insert the task and the log row, commit.
import { randomBytes, randomInt } from 'node:crypto';
import { QUOTA_PER_SUBMIT } from '../workload.ts';
import { serveBaseline } from './serve.ts';

await serveBaseline((app, pool, { users }) => {
  app.post<{ Body: { model?: string } }>('/v1/tasks', async (request, reply) => {
    const userId = randomInt(1, users + 1);
    const publicId = `task_${randomBytes(16).toString('hex')}`;
    const model = request.body.model ?? '';
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const debit = await client.query(
        'UPDATE accounts SET balance = balance - $2, used = used + $2, updated_at = now() WHERE id = $1 AND balance >= $2',
        [userId, QUOTA_PER_SUBMIT],
      );
      if (debit.rowCount !== 1) {
        await client.query('ROLLBACK');
        return reply.code(402).send({ error: 'insufficient balance' });
      }
      await client.query('INSERT INTO tasks (public_id, user_id, model, quota, request) VALUES ($1, $2, $3, $4, $5)', [
        publicId,
        userId,
        model,
        QUOTA_PER_SUBMIT,
        request.body,
      ]);
      await client.query('INSERT INTO logs (type, user_id, task_id, quota, content) VALUES (2, $1, $2, $3, $4)', [
        userId,
        publicId,
        QUOTA_PER_SUBMIT,
        `consume ${model}`,
      ]);
      await client.query('COMMIT');
    } catch (err) {
      broken = err as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      // A client that failed mid-transaction is discarded rather than returned in an unknown state.
      client.release(broken);
    }
    return { id: publicId, status: 'queued' };
  });
});
