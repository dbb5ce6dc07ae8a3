// The HTTP side of DashScope's async task API: submit, query and cancel a video task on one channel.
// Upstream and network trouble never throws; it comes back as an UpstreamFailure the worker acts on.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { formatChinaTime } from '../lib/china-time.ts';
import { type Metrics, type UpstreamKind, upstreamOutcome } from '../observability/metrics.ts';
import { inSpan } from '../observability/tracing.ts';
import { cancelOutcomeOf, listOutcomeOf, queryOutcomeOf, type RawResponse, submitOutcomeOf } from './dashscope-response.ts';
import type { CancelOutcome, ListOutcome, ListQuery, QueryOutcome, SubmitOutcome, UpstreamChannel, UpstreamClient, UpstreamFailure } from './types.ts';

export interface DashScopeClientOptions {
  /** Budget of one whole call, from connecting to the last byte of the body. */
  timeoutMs: number;
  /** Where every call is counted, by channel, kind and outcome. */
  metrics: Metrics;
}

const SUBMIT_PATH = '/api/v1/services/aigc/video-generation/video-synthesis';

export class DashScopeClient implements UpstreamClient {
  readonly timeoutMs: number;
  private readonly metrics: Metrics;

  constructor(options: DashScopeClientOptions) {
    this.timeoutMs = options.timeoutMs;
    this.metrics = options.metrics;
  }

  /** `body` is sent as JSON as is; buildSubmitBody (dashscope-submit-body.ts) makes one. */
  async submit(channel: UpstreamChannel, body: object): Promise<SubmitOutcome> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      // Video synthesis is async-only: without this DashScope refuses with 403 AccessDenied.
      'X-DashScope-Async': 'enable',
    };
    // oss:// URLs are DashScope's temporary uploads; it resolves them only when asked to.
    if (containsOssUrl(body)) headers['X-DashScope-OssResourceResolve'] = 'enable';
    return this.observed('submit', channel, async () => {
      const raw = await this.call(channel, 'POST', SUBMIT_PATH, headers, JSON.stringify(body));
      return 'failure' in raw ? { ok: false, failure: raw.failure } : submitOutcomeOf(raw);
    });
  }

  async query(channel: UpstreamChannel, upstreamTaskId: string): Promise<QueryOutcome> {
    return this.observed('query', channel, async () => {
      const raw = await this.call(channel, 'GET', taskPath(upstreamTaskId), {}, undefined);
      return 'failure' in raw ? { ok: false, failure: raw.failure } : queryOutcomeOf(raw);
    });
  }

  /** DashScope cancels only PENDING tasks; later ones answer 400 UnsupportedOperation. */
  async cancel(channel: UpstreamChannel, upstreamTaskId: string): Promise<CancelOutcome> {
    return this.observed('cancel', channel, async () => {
      const raw = await this.call(channel, 'POST', `${taskPath(upstreamTaskId)}/cancel`, {}, undefined);
      return 'failure' in raw ? { ok: false, failure: raw.failure } : cancelOutcomeOf(raw);
    });
  }

  async list(channel: UpstreamChannel, query: ListQuery): Promise<ListOutcome> {
    const params = new URLSearchParams({
      page_no: String(query.page),
      page_size: String(query.pageSize),
      start_time: listTime(query.from),
      end_time: listTime(query.to),
      model_name: query.model,
    });
    return this.observed('list', channel, async () => {
      const raw = await this.call(channel, 'GET', `/api/v1/tasks?${params}`, {}, undefined);
      return 'failure' in raw ? { ok: false, failure: raw.failure } : listOutcomeOf(raw);
    });
  }

  /** Every call, whatever its kind, is counted and traced here and only here. */
  private observed<T extends { ok: true } | { ok: false; failure: UpstreamFailure }>(kind: UpstreamKind, channel: UpstreamChannel, run: () => Promise<T>): Promise<T> {
    return inSpan(`dashscope ${kind}`, { kind: SpanKind.CLIENT, attributes: { 'vgw.channel_id': channel.id } }, async (span) => {
      const started = performance.now();
      const result = await run();
      const outcome = upstreamOutcome(result.ok ? null : result.failure);
      this.metrics.upstreamDuration.observe({ kind }, (performance.now() - started) / 1000);
      this.metrics.upstreamRequests.inc({ channel: String(channel.id), kind, outcome });
      span.setAttribute('vgw.upstream_outcome', outcome);
      if (!result.ok) {
        if (result.failure.httpStatus !== null) span.setAttribute('http.response.status_code', result.failure.httpStatus);
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.failure.code });
      }
      return result;
    });
  }

  private async call(
    channel: UpstreamChannel,
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<RawResponse | { failure: UpstreamFailure }> {
    const url = `${apiRoot(channel.baseUrl)}${path}`;
    let status: number | null = null;
    try {
      const response = await fetch(url, {
        method,
        headers: { Authorization: `Bearer ${channel.apiKey}`, Accept: 'application/json', ...headers },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      // Read inside the try: the timeout also covers a body that stalls, and a reset mid-body is a network error.
      const text = await response.text();
      return { status, contentType: response.headers.get('content-type'), text };
    } catch (error) {
      return { failure: this.transportFailure(error, status, method, url) };
    }
  }

  private transportFailure(error: unknown, httpStatus: number | null, method: string, url: string): UpstreamFailure {
    if (error instanceof Error && error.name === 'TimeoutError') {
      return {
        kind: 'timeout',
        httpStatus,
        code: 'Timeout',
        message: `DashScope did not answer ${method} ${url} within ${this.timeoutMs} ms`,
        body: null,
        disposition: 'retry',
      };
    }
    return {
      kind: 'network',
      httpStatus,
      code: 'NetworkError',
      message: `could not reach DashScope (${method} ${url}): ${networkReason(error)}`,
      body: null,
      disposition: 'retry',
    };
  }
}

/** Channels store the host root; one that already ends in /api/v1 is accepted too. */
function apiRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
}

/** The task list's time filter: yyyyMMddHHmmss in China time (UTC+8), to the second. */
function listTime(moment: Date): string {
  return formatChinaTime(moment.getTime()).slice(0, 19).replace(/\D/g, '');
}

function taskPath(upstreamTaskId: string): string {
  return `/api/v1/tasks/${encodeURIComponent(upstreamTaskId)}`;
}

/**
 * fetch says only "fetch failed" or "terminated"; the useful part (ECONNREFUSED, ENOTFOUND, "other
 * side closed") sits in `cause`, an AggregateError with an empty message when every address of a
 * dual-stack host refused.
 */
function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (!(cause instanceof Error)) return error.message;
  const inner = cause instanceof AggregateError ? cause.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))) : [];
  const detail = cause.message || inner.join('; ') || String((cause as { code?: unknown }).code ?? '');
  return detail ? `${error.message}: ${detail}` : error.message;
}

function containsOssUrl(value: unknown): boolean {
  if (typeof value === 'string') return value.startsWith('oss://');
  if (Array.isArray(value)) return value.some(containsOssUrl);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(containsOssUrl);
  return false;
}
