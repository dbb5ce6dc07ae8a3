// Reads a task-query body (GET /api/v1/tasks/{id}) into the worker's TaskSnapshot.
import { parseChinaTime } from '../lib/china-time.ts';
import type { TaskSnapshot, UpstreamTaskState } from './types.ts';

const KNOWN_STATES: ReadonlySet<string> = new Set<UpstreamTaskState>([
  'PENDING',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'CANCELED',
  'UNKNOWN',
]);

/**
 * Null when the body carries no `output.task_status`: that is an error body, never a state
 * (new-api read such bodies as "still queued" and left tasks hanging until the timeout).
 */
export function taskSnapshotOf(body: Record<string, unknown>): TaskSnapshot | null {
  const output = objectAt(body, 'output');
  const status = output ? nonEmptyString(output.task_status) : null;
  if (!output || status === null) return null;
  // Statuses outside the documented six (the SDK knows SUSPENDED) are still in flight: keep polling.
  const state: UpstreamTaskState = KNOWN_STATES.has(status) ? (status as UpstreamTaskState) : 'RUNNING';
  // Failure details live in `output`; on FAILED a top-level pair (where older gateways looked) is the fallback.
  const topLevel = state === 'FAILED' ? body : {};
  return {
    state,
    videoUrl: nonEmptyString(output.video_url),
    code: nonEmptyString(output.code) ?? nonEmptyString(topLevel.code),
    message: nonEmptyString(output.message) ?? nonEmptyString(topLevel.message),
    outputSeconds: outputSecondsOf(objectAt(body, 'usage')),
    scheduledAt: parseChinaTime(output.scheduled_time),
    endedAt: parseChinaTime(output.end_time),
    body,
  };
}

/**
 * wan2.6+ report `output_video_duration` (r2v and videoedit's `duration` also counts the input
 * video); older models report only `duration` or `video_duration`. Values may be fractional
 * (videoedit: 5.02) and some proxies send them as strings.
 */
export function outputSecondsOf(usage: Record<string, unknown> | null): number | null {
  if (!usage) return null;
  for (const key of ['output_video_duration', 'duration', 'video_duration']) {
    const seconds = secondsValue(usage[key]);
    if (seconds !== null) return seconds;
  }
  return null;
}

const NUMERIC = /^\s*\d+(?:\.\d+)?\s*$/;

function secondsValue(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  return null;
}

function objectAt(body: Record<string, unknown>, key: string): Record<string, unknown> | null {
  const value = body[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
