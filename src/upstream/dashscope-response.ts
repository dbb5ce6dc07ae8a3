// Turns one DashScope HTTP response (status + raw text) into the outcome the worker acts on.
// Pure: the client does the I/O, everything it can be told back is decided here.
import { dispositionFor } from './failure-disposition.ts';
import { taskSnapshotOf } from './task-snapshot.ts';
import type { CancelOutcome, ListedTask, ListOutcome, QueryOutcome, SubmitOutcome, UpstreamFailure } from './types.ts';

export interface RawResponse {
  status: number;
  contentType: string | null;
  text: string;
}

type Body = Record<string, unknown>;

/** Success needs `output.task_id`; anything else, even with HTTP 200, is a failure. */
export function submitOutcomeOf(raw: RawResponse): SubmitOutcome {
  const parsed = parseBody(raw);
  if (!parsed.ok) return { ok: false, failure: parsed.failure };
  const output = parsed.body.output;
  const taskId = typeof output === 'object' && output !== null ? (output as Body).task_id : undefined;
  if (typeof taskId !== 'string' || taskId === '') {
    return { ok: false, failure: invalidResponse(raw, parsed.body, `DashScope answered HTTP ${raw.status} without output.task_id`) };
  }
  return { ok: true, upstreamTaskId: taskId, body: parsed.body };
}

/**
 * Success needs `output.task_status`; a 200 without it is an error body, not a state. A body that
 * has one is a task answer even if it also carries a top-level code: the task's FAILED state and
 * its details then reach the worker instead of an endless retry.
 */
export function queryOutcomeOf(raw: RawResponse): QueryOutcome {
  const parsed = parseBody(raw, (body) => taskSnapshotOf(body) !== null);
  if (!parsed.ok) return { ok: false, failure: parsed.failure };
  const task = taskSnapshotOf(parsed.body);
  if (!task) {
    return { ok: false, failure: invalidResponse(raw, parsed.body, `DashScope answered HTTP ${raw.status} without output.task_status`) };
  }
  return { ok: true, task };
}

/** DashScope answers a successful cancel with little more than a request_id; any JSON object will do. */
export function cancelOutcomeOf(raw: RawResponse): CancelOutcome {
  const parsed = parseBody(raw);
  return parsed.ok ? { ok: true, body: parsed.body } : { ok: false, failure: parsed.failure };
}

/** The task list: `data` holds `{task_id, status, gmt_create (epoch ms)}` items; anything malformed is skipped. */
export function listOutcomeOf(raw: RawResponse): ListOutcome {
  const parsed = parseBody(raw);
  if (!parsed.ok) return { ok: false, failure: parsed.failure };
  const { data, total_page: pages } = parsed.body;
  if (!Array.isArray(data)) return { ok: false, failure: invalidResponse(raw, parsed.body, `DashScope answered HTTP ${raw.status} without a task list`) };
  const tasks: ListedTask[] = [];
  for (const item of data as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const { task_id: id, status, gmt_create: created } = item as Body;
    if (typeof id === 'string' && id !== '' && typeof created === 'number') {
      tasks.push({ upstreamTaskId: id, status: typeof status === 'string' ? status : 'UNKNOWN', createdAt: new Date(created) });
    }
  }
  return { ok: true, tasks, pages: typeof pages === 'number' ? pages : 1 };
}

type Parsed = { ok: true; body: Body } | { ok: false; failure: UpstreamFailure };

/**
 * Error envelopes and bodies that are not a JSON object become failures; a 2xx object is passed
 * on, unless it carries an error code and `isAnswer` does not vouch for it.
 */
function parseBody(raw: RawResponse, isAnswer: (body: Body) => boolean = () => false): Parsed {
  const body = jsonObject(raw.text);
  const success = raw.status >= 200 && raw.status < 300;
  if (!body) {
    const failure: UpstreamFailure = {
      kind: success ? 'invalid_response' : 'http',
      httpStatus: raw.status,
      code: success ? 'InvalidResponse' : `HTTP_${raw.status}`,
      message: describeUnparsed(raw),
      body: raw.text === '' ? null : { text: raw.text.slice(0, MAX_TEXT) },
      disposition: success ? 'retry' : dispositionFor(raw.status, null),
    };
    return { ok: false, failure };
  }
  const error = errorOf(body);
  if (!success || (error && !isAnswer(body))) {
    const code = error?.code ?? null;
    const failure: UpstreamFailure = {
      kind: 'http',
      httpStatus: raw.status,
      code: code ?? `HTTP_${raw.status}`,
      message: error?.message ?? text(body.message) ?? noMessage(raw.status, code),
      body,
      disposition: dispositionFor(raw.status, code),
    };
    return { ok: false, failure };
  }
  return { ok: true, body };
}

/** How much of a body that is not JSON is kept: enough to recognize a proxy's error page in the task's data. */
const MAX_TEXT = 4096;
const MAX_SNIPPET = 200;

function jsonObject(text: string): Body | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Body) : null;
  } catch {
    return null;
  }
}

/**
 * DashScope's envelope is flat `{ code, message, request_id }`; OpenAI-style `{ error: {...} }`
 * also appears behind compatible-mode proxies. A top-level code of "200" or "Success" is not an
 * error (DashScope's CLI reads it the same way).
 */
function errorOf(body: Body): { code: string | null; message: string | null } | null {
  const nested = body.error;
  if (typeof nested === 'object' && nested !== null) {
    const error = nested as Body;
    return { code: text(error.code), message: text(error.message) };
  }
  if (typeof nested === 'string' && nested !== '') return { code: text(body.code), message: nested };
  const code = text(body.code);
  if (code === null || code === '200' || code === 'Success') return null;
  return { code, message: text(body.message) };
}

function text(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : null;
}

function describeUnparsed(raw: RawResponse): string {
  const head = `DashScope answered HTTP ${raw.status}`;
  const snippet = raw.text
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (snippet === '') return `${head} with an empty body`;
  const type = raw.contentType ? ` (${raw.contentType})` : '';
  const shown = snippet.length > MAX_SNIPPET ? `${snippet.slice(0, MAX_SNIPPET - 3)}...` : snippet;
  return `${head} with a body that is not a JSON object${type}: ${shown}`;
}

function noMessage(status: number, code: string | null): string {
  return `DashScope answered HTTP ${status} ${code ? `with code ${code} and no message` : 'with no error message'}`;
}

function invalidResponse(raw: RawResponse, body: Body, message: string): UpstreamFailure {
  return { kind: 'invalid_response', httpStatus: raw.status, code: 'InvalidResponse', message, body, disposition: 'retry' };
}
