// One HTTP measurement: an unreported warm-up (connections, JIT, caches and pools settle), then
// the measured run with identical settings. Every scenario goes through here so that all figures
// in the report are taken the same way.
import autocannon, { type Options, type RawRequest, type Result } from 'autocannon';
import { type CpuUsage, cpuUsage, snapshotCpu } from './cpu-usage.ts';
import { log } from './log.ts';

export interface LoadSettings {
  connections: number;
  durationS: number;
  warmupS: number;
}

export interface HttpLoad {
  /** Full URL of the first request; setupRequest may change the path per request. */
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Rewrites each request before it is sent, e.g. to rotate API keys or task ids. */
  setupRequest?: (request: RawRequest) => RawRequest;
}

export interface Measurement {
  /** Short identifier; the JSON summary prefixes its fields with it. */
  key: string;
  label: string;
  /** Mean over one-second samples, as autocannon reports "Req/Sec". */
  rps: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  completed: number;
  non2xx: number;
  /** Connection errors, timeouts included. */
  errors: number;
  /** non-2xx and errors during the warm-up; not part of the figures, but a failure all the same. */
  warmupFailures: number;
  statusCodes: Record<string, number>;
  /**
   * When the measured run (not the warm-up) began and ended, in microseconds of the monotonic
   * clock, which on Linux every process shares: a CPU profile's sample times are on the same clock.
   */
  window: { startUs: number; endUs: number };
  /** Where the machine's CPU went during the measured run. */
  cpu: CpuUsage;
}

const REQUEST_TIMEOUT_S = 10;

export async function measure(key: string, label: string, load: HttpLoad, settings: LoadSettings): Promise<Measurement> {
  const options = (durationS: number): Options => ({
    url: load.url,
    connections: settings.connections,
    duration: durationS,
    timeout: REQUEST_TIMEOUT_S,
    method: load.method ?? 'GET',
    headers: load.headers ?? {},
    ...(load.body === undefined ? {} : { body: load.body }),
    ...(load.setupRequest ? { requests: [{ setupRequest: load.setupRequest }] } : {}),
  });
  let warmupFailures = 0;
  if (settings.warmupS > 0) {
    log(`${label}: warm-up ${settings.warmupS} s`);
    const warmup = await autocannon(options(settings.warmupS));
    warmupFailures = warmup.non2xx + warmup.errors;
  }
  log(`${label}: measuring ${settings.durationS} s with ${settings.connections} connections`);
  const cpuBefore = await snapshotCpu();
  const startUs = monotonicUs();
  const result = await autocannon(options(settings.durationS));
  const window = { startUs, endUs: monotonicUs() };
  const cpu = cpuUsage(cpuBefore, await snapshotCpu(), result.requests.total);
  return summarize(key, label, result, warmupFailures, window, cpu);
}

export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

function summarize(
  key: string,
  label: string,
  result: Result,
  warmupFailures: number,
  window: Measurement['window'],
  cpu: CpuUsage,
): Measurement {
  return {
    key,
    label,
    rps: result.requests.average,
    meanMs: result.latency.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    completed: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    warmupFailures,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
    window,
    cpu,
  };
}
