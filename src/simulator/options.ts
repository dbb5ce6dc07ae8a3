// What a simulator instance is built from: plain values, so tests can build one in-process with
// fast timings and the entry point can build one from the environment.
import type { Config } from '../config/env.ts';

export interface SimulatorOptions {
  /** The one API key accepted (DashScope keys are per account; the simulator has one account). */
  apiKey: string;
  /** How long a task stays PENDING after submit. */
  pendingMs: number;
  /** How long it then stays RUNNING (a `[sim:ms=N]` directive overrides this per task). */
  runningMs: number;
  /** Seconds a task stays queryable after submit, and a result link stays valid after the task ends. */
  retentionS: number;
  /** Submits per API key allowed in any one-second window. */
  submitQps: number;
  /** Task queries and cancels per API key allowed in any one-second window. */
  queryQps: number;
  /**
   * Base URL of the result links. A function is called each time a link is made, so it can report
   * a port that is only known after `listen`. Absent: `http://` + the Host header of the request
   * that asks for the task, so a link works under whatever name the client reached the simulator by.
   */
  publicUrl?: string | (() => string);
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
}

export function simulatorOptionsFromConfig(config: Config): SimulatorOptions {
  return {
    apiKey: config.SIM_API_KEY,
    pendingMs: config.SIM_PENDING_MS,
    runningMs: config.SIM_RUNNING_MS,
    retentionS: config.SIM_RETENTION_S,
    submitQps: config.SIM_SUBMIT_QPS,
    queryQps: config.SIM_QUERY_QPS,
    // An empty SIM_PUBLIC_URL means "not set"; the Host a client used is then http://SIM_HOST:SIM_PORT
    // in the usual case, and stays right when SIM_HOST is a wildcard such as 0.0.0.0.
    publicUrl: config.SIM_PUBLIC_URL || undefined,
    logLevel: config.LOG_LEVEL,
  };
}
