// One cheap authenticated call to an upstream account, to tell whether its key works: the first
// entry of its task list over the last minute. DashScope answers it with the same key checks
// (InvalidApiKey, Arrearage, AccessDenied) as a submit, and it costs nothing.
import type { UpstreamChannel, UpstreamClient } from './types.ts';

export interface ProbeResult {
  ok: boolean;
  latency_ms: number;
  /** "CODE: message" when not ok; null when ok. */
  error: string | null;
}

const PROBE_MODEL = 'wan2.7-t2v';

export async function probeChannel(upstream: Pick<UpstreamClient, 'list'>, channel: UpstreamChannel): Promise<ProbeResult> {
  const started = performance.now();
  const now = new Date();
  const outcome = await upstream.list(channel, { from: new Date(now.getTime() - 60_000), to: now, model: PROBE_MODEL, page: 1, pageSize: 1 });
  const latency = Math.round(performance.now() - started);
  if (outcome.ok) return { ok: true, latency_ms: latency, error: null };
  return { ok: false, latency_ms: latency, error: `${outcome.failure.code}: ${outcome.failure.message}` };
}
