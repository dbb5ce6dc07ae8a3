// When a failed webhook is tried again: 1 s, 4 s, 16 s, about 1 min, 4 min, 17 min, then every
// hour, each plus up to 25 %.
import { createHash } from 'node:crypto';

export interface RetrySchedule {
  /** The wait after the first failed attempt. */
  firstDelayMs: number;
  /** Each further wait is this many times the previous one... */
  factor: number;
  /** ...up to this. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = { firstDelayMs: 1_000, factor: 4, maxDelayMs: 3_600_000 };

const JITTER = 0.25;

// The jitter comes from the task and the attempt, not from Math.random: the wait is recomputed
// from the recorded attempts whenever a job runs (after a crash, by a duplicate job), and must
// come out the same every time, or a job woken at the due time could find it moved further on.
function jitterFraction(seed: string, attempt: number): number {
  return createHash('sha256').update(`${seed}:${attempt}`).digest().readUInt32BE(0) / 0x1_0000_0000;
}

/** How long to wait after failed attempt number `attempt` (1-based) before the next. */
export function retryDelayMs(schedule: RetrySchedule, attempt: number, seed: string): number {
  const base = Math.min(schedule.maxDelayMs, schedule.firstDelayMs * schedule.factor ** Math.max(0, attempt - 1));
  return Math.round(base * (1 + JITTER * jitterFraction(seed, attempt)));
}
