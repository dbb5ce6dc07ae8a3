// The body DashScope's video-synthesis endpoint takes, built from the gateway's normalized request.
// All four wan2.7 models share one shape: { model, input: { prompt, negative_prompt, media, ... },
// parameters: { resolution, duration, ratio, seed, ... } }.
import type { NormalizedRequest } from '../modules/tasks/normalize-request.ts';

export interface DashScopeSubmitBody {
  model: string;
  input: Record<string, unknown>;
  parameters: Record<string, unknown>;
}

/**
 * The gateway's own fields come first and win over caller pass-through keys of the same name; a
 * pass-through key stays only where the gateway has no value of its own (e.g. `duration` on
 * videoedit, where the gateway's null means "follow the source video" and a caller may still ask
 * DashScope to truncate).
 */
export function buildSubmitBody(request: NormalizedRequest, upstreamModel: string): DashScopeSubmitBody {
  const input = withPassThrough(
    {
      prompt: request.prompt,
      negative_prompt: request.negative_prompt,
      media: request.media.length > 0 ? request.media.map((item) => ({ ...item })) : null,
    },
    request.input,
  );
  const parameters = withPassThrough(
    {
      // Always sent: DashScope defaults to 1080P while the gateway defaults to (and charges for) 720P.
      resolution: request.resolution,
      duration: request.duration,
      ratio: request.ratio,
      seed: request.seed,
    },
    request.parameters,
  );
  return { model: upstreamModel, input, parameters };
}

function withPassThrough(own: Record<string, unknown>, passThrough: Record<string, unknown>): Record<string, unknown> {
  const set = Object.entries(own).filter(([, value]) => value !== null);
  const taken = new Set(set.map(([key]) => key));
  const extra = Object.entries(passThrough).filter(([key]) => !taken.has(key));
  // fromEntries defines own properties, so a pass-through "__proto__" key stays a plain key.
  return Object.fromEntries([...set, ...extra]);
}
