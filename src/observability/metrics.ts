// Every Prometheus figure a process exports, defined in one place, on a registry of the process's
// own (made by createInfra, never prom-client's global one, so tests can run several gateways in
// one process). Counters and histograms count what this process did; Prometheus sums them over
// processes. The figures read from PostgreSQL and Redis at scrape time (open tasks, queues,
// channels, live workers) are added by the API alone (cluster-gauges.ts), so that a sum over
// processes does not count them once per worker.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { UpstreamFailure } from '../upstream/types.ts';

export type UpstreamKind = 'submit' | 'query' | 'cancel' | 'list';

/**
 * How an upstream call ended: `ok` (a 2xx DashScope understood), `429`, `5xx`, `4xx` (an HTTP
 * refusal), `network` (no answer), `timeout`, `invalid_response` (a 2xx that made no sense).
 */
export type UpstreamOutcome = 'ok' | '429' | '5xx' | '4xx' | 'network' | 'timeout' | 'invalid_response';

export type WebhookOutcome = 'delivered' | 'retrying' | 'failed';

/** `stored` (copied), `skipped` (the task was deleted), `failed` (given up), `error` (thrown; retried). */
export type ResultCopyOutcome = 'stored' | 'skipped' | 'failed' | 'error';

// A held answer (Prefer: wait) can take up to WAIT_MAX_S; plain requests take milliseconds.
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const UPSTREAM_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// Up to CHARGE_BATCH_MAX's default rows; a statement with its commit takes milliseconds.
const CHARGE_BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];
const CHARGE_STATEMENT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
// Wan 2.7 takes minutes; the simulator, and failures refused at once, take seconds.
const TASK_BUCKETS = [1, 5, 15, 30, 60, 120, 180, 300, 600, 900, 1800, 3600, 5400];

export function upstreamOutcome(failure: UpstreamFailure | null): UpstreamOutcome {
  if (!failure) return 'ok';
  if (failure.kind !== 'http') return failure.kind;
  const status = failure.httpStatus ?? 0;
  if (status === 429) return '429';
  return status >= 500 ? '5xx' : '4xx';
}

export function createMetrics() {
  const registry = new Registry();
  // Unprefixed (process_cpu_seconds_total, nodejs_heap_size_used_bytes...), as Node.js dashboards expect them.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'vgw_http_request_duration_seconds',
      help: 'HTTP requests served, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: HTTP_BUCKETS,
      registers,
    }),
    tasksSubmitted: new Counter({
      name: 'vgw_tasks_submitted_total',
      help: 'Tasks charged and recorded, by model',
      labelNames: ['model'] as const,
      registers,
    }),
    chargeBatchSize: new Histogram({
      name: 'vgw_charge_batch_rows',
      help: 'Submits charged together in one statement and one commit (group commit)',
      buckets: CHARGE_BATCH_BUCKETS,
      registers,
    }),
    chargeStatementDuration: new Histogram({
      name: 'vgw_charge_statement_duration_seconds',
      help: 'Charge statements, from sending to the commit\'s answer (what each submit of the batch waited for the database)',
      buckets: CHARGE_STATEMENT_BUCKETS,
      registers,
    }),
    tasksFinished: new Counter({
      name: 'vgw_tasks_finished_total',
      help: 'Tasks settled to a final status, by status and model',
      labelNames: ['status', 'model'] as const,
      registers,
    }),
    taskDuration: new Histogram({
      name: 'vgw_task_duration_seconds',
      help: 'From submit to final status, by status and model',
      labelNames: ['status', 'model'] as const,
      buckets: TASK_BUCKETS,
      registers,
    }),
    quotaCharged: new Counter({
      name: 'vgw_quota_charged_total',
      help: 'Quota charged at submit (committed), by model',
      labelNames: ['model'] as const,
      registers,
    }),
    quotaRefunded: new Counter({
      name: 'vgw_quota_refunded_total',
      help: 'Quota refunded at settlement (committed), by model',
      labelNames: ['model'] as const,
      registers,
    }),
    upstreamRequests: new Counter({
      name: 'vgw_upstream_requests_total',
      help: 'Requests to DashScope, by channel, kind (submit, query, cancel, list) and outcome (ok, 429, 5xx, 4xx, network, timeout, invalid_response)',
      labelNames: ['channel', 'kind', 'outcome'] as const,
      registers,
    }),
    upstreamDuration: new Histogram({
      name: 'vgw_upstream_request_duration_seconds',
      help: 'Requests to DashScope, by kind',
      labelNames: ['kind'] as const,
      buckets: UPSTREAM_BUCKETS,
      registers,
    }),
    webhookAttempts: new Counter({
      name: 'vgw_webhook_attempts_total',
      help: 'Webhook delivery attempts, by outcome (delivered, retrying, failed for good)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    rpmUnenforced: new Counter({
      name: 'vgw_rpm_limit_unenforced_total',
      help: 'Requests let through without counting them against their key\'s rpm_limit because Redis could not be reached',
      registers,
    }),
    resultCopies: new Counter({
      name: 'vgw_result_copies_total',
      help: 'Runs of the result copy, by outcome (stored, skipped, failed for good, error: retried)',
      labelNames: ['outcome'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
