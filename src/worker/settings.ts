import type { Config } from '../config/env.ts';

/** The part of the configuration that decides how the worker paces and ends tasks. */
export interface WorkerSettings {
  pollFirstDelayMs: number;
  pollIntervalMs: number;
  unknownGraceMs: number;
  channelSubmitQps: number;
  channelQueryQps: number;
  taskTimeoutS: number;
  taskTimeoutSByModel: Record<string, number>;
  /** The longest one upstream request can take. */
  upstreamTimeoutMs: number;
}

export const workerSettings = (config: Config): WorkerSettings => ({
  pollFirstDelayMs: config.POLL_FIRST_DELAY_MS,
  pollIntervalMs: config.POLL_INTERVAL_MS,
  unknownGraceMs: config.UNKNOWN_GRACE_MS,
  channelSubmitQps: config.CHANNEL_SUBMIT_QPS,
  channelQueryQps: config.CHANNEL_QUERY_QPS,
  taskTimeoutS: config.TASK_TIMEOUT_S,
  taskTimeoutSByModel: config.TASK_TIMEOUT_S_BY_MODEL,
  upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
});

export const timeoutSecondsFor = (settings: WorkerSettings, model: string): number =>
  settings.taskTimeoutSByModel[model] ?? settings.taskTimeoutS;
