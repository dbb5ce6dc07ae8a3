// The contract between the worker and the DashScope client: what a submit, a query or a cancel
// can come back with, already sorted into what the worker should do about it.

/** The upstream account a request goes to. */
export interface UpstreamChannel {
  id: number;
  baseUrl: string;
  apiKey: string;
}

/**
 * What the worker does with a failed upstream call:
 * - `retry`: transient (HTTP 429, 5xx, network error, timeout); try again later, maybe elsewhere.
 * - `channel`: the account is unusable (InvalidApiKey, Arrearage, AccessDenied...); disable the
 *   channel and move the task to another one.
 * - `request`: the request itself is at fault (InvalidParameter, DataInspectionFailed...); the task
 *   fails and is refunded.
 */
export type FailureDisposition = 'retry' | 'channel' | 'request';

export interface UpstreamFailure {
  kind: 'http' | 'network' | 'timeout' | 'invalid_response';
  /** null when no HTTP response arrived. */
  httpStatus: number | null;
  /**
   * DashScope's code (e.g. "Throttling.RateQuota"), or NetworkError / Timeout / InvalidResponse, or
   * `HTTP_<status>` (e.g. "HTTP_502") for an error response that carried no code.
   */
  code: string;
  message: string;
  /** The response body when there was one (JSON object, or { text } when it was not JSON). */
  body: Record<string, unknown> | null;
  disposition: FailureDisposition;
}

export type SubmitOutcome =
  | { ok: true; upstreamTaskId: string; body: Record<string, unknown> }
  | { ok: false; failure: UpstreamFailure };

export type UpstreamTaskState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'UNKNOWN';

export interface TaskSnapshot {
  /** output.task_status; a status outside these six (e.g. SUSPENDED) is reported as RUNNING. */
  state: UpstreamTaskState;
  /** output.video_url on SUCCEEDED. */
  videoUrl: string | null;
  /** output.code / output.message on FAILED (either may be absent upstream). */
  code: string | null;
  message: string | null;
  /**
   * Seconds of video produced (usage.output_video_duration, else usage.duration, else the legacy
   * usage.video_duration); may be fractional; numeric strings are accepted.
   */
  outputSeconds: number | null;
  /** output.scheduled_time: when the upstream started running the task. */
  scheduledAt: Date | null;
  /** output.end_time: when it finished (or was cancelled). */
  endedAt: Date | null;
  /** The whole response body, kept as the task's `data`. */
  body: Record<string, unknown>;
}

export type QueryOutcome = { ok: true; task: TaskSnapshot } | { ok: false; failure: UpstreamFailure };

export type CancelOutcome = { ok: true; body: Record<string, unknown> } | { ok: false; failure: UpstreamFailure };

/** Which of an account's tasks to list: created within [from, to], of one model. */
export interface ListQuery {
  from: Date;
  to: Date;
  model: string;
  page: number;
  pageSize: number;
}

/** A task as the account's task list shows it. */
export interface ListedTask {
  upstreamTaskId: string;
  status: string;
  createdAt: Date;
}

export type ListOutcome = { ok: true; tasks: ListedTask[]; pages: number } | { ok: false; failure: UpstreamFailure };

/** What the worker needs from an upstream client. */
export interface UpstreamClient {
  submit(channel: UpstreamChannel, body: object): Promise<SubmitOutcome>;
  query(channel: UpstreamChannel, upstreamTaskId: string): Promise<QueryOutcome>;
  cancel(channel: UpstreamChannel, upstreamTaskId: string): Promise<CancelOutcome>;
  /** The account's tasks: how a submit whose answer was lost is found again. */
  list(channel: UpstreamChannel, query: ListQuery): Promise<ListOutcome>;
}
