// GET /metrics, in Prometheus' text format, on the API and on each worker's ops server; and the
// histogram of the HTTP requests an app serves, labelled by route pattern (never the raw URL, whose
// task ids would make a series per task).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { bearerMatcher } from '../http/bearer-token.ts';
import { AppError } from '../lib/errors.ts';
import type { Metrics } from './metrics.ts';

export interface MetricsRoutesOptions {
  metrics: Metrics;
  /** METRICS_TOKEN; empty: /metrics is public. */
  token: string;
}

/** Requests that matched no route share one label. */
const UNMATCHED = '(unmatched)';

export function observeRequests(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? UNMATCHED, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
}

export async function metricsRoutes(app: FastifyInstance, { metrics, token }: MetricsRoutesOptions): Promise<void> {
  const authorized = token ? bearerMatcher(token) : () => true;
  app.get('/metrics', {
    schema: {
      operationId: 'metrics',
      tags: ['metrics'],
      summary: 'Prometheus metrics of this process',
      description:
        'The figures of the process that answers, in Prometheus text format 0.0.4. Public unless the server sets METRICS_TOKEN; then send it as a bearer token. docs/observability.md lists every metric.',
      security: [{}, { metricsToken: [] }],
      response: {
        200: {
          description: 'The metrics',
          content: { 'text/plain': { schema: z.string().meta({ example: '# HELP vgw_tasks_submitted_total Tasks charged and recorded, by model\n# TYPE vgw_tasks_submitted_total counter\nvgw_tasks_submitted_total{model="wan2.7-t2v"} 12\n' }) } },
        },
      },
      errors: ['metrics_unauthorized'],
    },
    handler: async (request, reply) => {
      if (!authorized(request.headers.authorization)) {
        throw new AppError('metrics_unauthorized', 'missing or wrong metrics token: send "Authorization: Bearer <METRICS_TOKEN>"');
      }
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    },
  });
}
