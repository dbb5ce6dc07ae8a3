import type { HttpLoad } from '../lib/measure.ts';
import { withClient } from '../lib/postgres.ts';
import { rotation } from '../lib/rotation.ts';
import type { Customer } from './customers.ts';

export interface QueryTarget {
  taskId: string;
  /** The owner's key: the gateway answers 404 for anyone else's task. */
  key: string;
}

/** Up to `count` random tasks created by the submit measurement, each with its owner's key. */
export async function pickQueryTargets(databaseUrl: string, customers: readonly Customer[], count: number): Promise<QueryTarget[]> {
  const keyById = new Map(customers.map((c) => [c.keyId, c.key]));
  const { rows } = await withClient(databaseUrl, (client) =>
    client.query<{ task_id: string; key_id: number }>(
      'SELECT task_id, key_id FROM tasks WHERE key_id = ANY($1::int[]) ORDER BY random() LIMIT $2',
      [[...keyById.keys()], count],
    ),
  );
  return rows.map((row) => ({ taskId: row.task_id, key: keyById.get(row.key_id) as string }));
}

/** GET /v1/video/generations/{task_id}, rotating over `targets`. */
export function queryLoad(baseUrl: string, targets: readonly QueryTarget[]): HttpLoad {
  const nextTarget = rotation(targets);
  const first = targets[0] as QueryTarget;
  return {
    url: `${baseUrl}/v1/video/generations/${first.taskId}`,
    method: 'GET',
    setupRequest: (request) => {
      const target = nextTarget();
      return {
        ...request,
        path: `/v1/video/generations/${target.taskId}`,
        headers: { ...request.headers, authorization: `Bearer ${target.key}` },
      };
    },
  };
}

export async function countTasks(databaseUrl: string): Promise<number> {
  const { rows } = await withClient(databaseUrl, (client) => client.query<{ n: string }>('SELECT count(*) AS n FROM tasks'));
  return Number(rows[0]?.n ?? 0);
}
