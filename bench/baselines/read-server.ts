// Read baseline: one indexed SELECT by public id, the row returned as JSON.
import { serveBaseline } from './serve.ts';

await serveBaseline((app, pool) => {
  app.get<{ Params: { id: string } }>('/v1/tasks/:id', async (request, reply) => {
    const { rows } = await pool.query('SELECT * FROM tasks WHERE public_id = $1', [request.params.id]);
    return rows[0] ?? reply.code(404).send({ error: 'not found' });
  });
});
