// DashScope reports no progress, only states, so while a task runs the gateway estimates one from
// elapsed time: it climbs quickly at first and flattens out, and stays below 100 until the task
// is actually done.
import type { Capability } from '../modules/tasks/models.ts';

/** Progress once the upstream has accepted the task (PENDING). */
export const QUEUED_PROGRESS = 10;
const RUNNING_FLOOR = 20;
const RUNNING_CEILING = 95;

/** Typical running time per capability (the spec: 30–100 s, videoedit 3–5 min). */
const TYPICAL_RUNNING_MS: Record<Capability, number> = {
  t2v: 90_000,
  i2v: 90_000,
  r2v: 90_000,
  videoedit: 240_000,
};

export function runningProgress(capability: Capability, startedAt: Date, now: Date): number {
  const elapsed = Math.max(0, now.getTime() - startedAt.getTime());
  const share = 1 - Math.exp(-elapsed / TYPICAL_RUNNING_MS[capability]);
  return Math.min(RUNNING_CEILING, Math.floor(RUNNING_FLOOR + (RUNNING_CEILING - RUNNING_FLOOR) * share));
}
