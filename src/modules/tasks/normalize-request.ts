// Turns a submit body into the request the worker sends upstream, enforcing every rule the
// spec and DashScope place on it. Nothing here touches the database: it runs before any charge.
import { badRequest } from '../../lib/errors.ts';
import { checkMediaCounts, checkTypedItem, inferImagesEntry, MEDIA_TYPES, type MediaItem, type MediaType } from './media.ts';
import {
  type Capability,
  DURATION_LIMITS,
  nearestRatio,
  nearestResolution,
  RATIOS,
  type Ratio,
  RESOLUTIONS,
  type Resolution,
  VIDEOEDIT_BILLED_SECONDS,
} from './models.ts';
import type { SubmitBody } from './submit.schema.ts';

export interface NormalizedRequest {
  model: string;
  capability: Capability;
  prompt: string | null;
  negative_prompt: string | null;
  resolution: Resolution;
  /** Requested output seconds; null for videoedit, whose output follows its source video. */
  duration: number | null;
  ratio: Ratio | null;
  /** The OpenAI frame size the client asked for (e.g. "1280x720"), echoed back in the Video object. */
  size: string | null;
  seed: number | null;
  media: MediaItem[];
  /** Extra DashScope `input` fields, passed through unchanged. */
  input: Record<string, unknown>;
  /** Extra DashScope `parameters` fields, passed through unchanged. */
  parameters: Record<string, unknown>;
  /** Seconds charged at submit. */
  billed_seconds: number;
}

const PROMPT_MAX = 5000;
const NEGATIVE_PROMPT_MAX = 500;
const SEED_MAX = 2147483647;
// metadata keys the gateway interprets itself; every other key goes to DashScope `parameters`.
const INTERPRETED_METADATA = new Set(['ratio', 'seed', 'negative_prompt', 'input', 'parameters']);

export interface NormalizeOptions {
  /** The storage URL (upload://...) of an input_reference file uploaded with the request: gateway-made, so not checked. */
  uploadedReference?: string;
  /** The largest image a data: URI may hold (UPLOAD_LIMIT_BYTES). */
  maxImageBytes?: number;
}

// An OpenAI-style frame size, as opposed to a resolution tier given under its alias `size`.
const FRAME_SIZE = /^(\d{2,5})x(\d{2,5})$/;
const FRAME_SIDE = { min: 240, max: 4096 };

export function normalizeRequest(body: SubmitBody, model: string, capability: Capability, options: NormalizeOptions = {}): NormalizedRequest {
  const metadata = body.metadata ?? {};
  const prompt = checkPrompt(body.prompt, capability);
  const negativePrompt = checkNegativePrompt(metadata.negative_prompt ?? body.negative_prompt);
  const frame = FRAME_SIZE.exec(body.size ?? '');
  const [width, height] = frame ? [Number(frame[1]), Number(frame[2])] : [0, 0];
  if (frame && [width, height].some((side) => side < FRAME_SIDE.min || side > FRAME_SIDE.max)) {
    throw badRequest(`size ${body.size} is out of range: each side must be ${FRAME_SIDE.min}–${FRAME_SIDE.max} pixels`, 'size');
  }
  const resolution =
    body.resolution !== undefined || !frame
      ? checkResolution(body.resolution ?? body.size, body.resolution === undefined ? 'size' : 'resolution')
      : nearestResolution(width, height);
  // i2v takes its shape from the first frame, so a frame size only chooses its resolution there.
  const ratio = checkRatio(metadata.ratio, capability) ?? (frame && capability !== 'i2v' ? nearestRatio(width, height) : null);
  const seed = checkSeed(metadata.seed);
  const media = collectMedia(body, capability, options);
  checkMediaCounts(capability, media);
  const duration = capability === 'videoedit' ? null : checkDuration(body.duration ?? body.seconds, media, body.duration === undefined && body.seconds !== undefined ? 'seconds' : 'duration');

  const { media: _media, ...input } = metadata.input ?? {};
  const parameters: Record<string, unknown> = { ...metadata.parameters };
  for (const [key, value] of Object.entries(metadata)) {
    if (!INTERPRETED_METADATA.has(key)) parameters[key] = value;
  }

  return {
    model,
    capability,
    prompt,
    negative_prompt: negativePrompt,
    resolution,
    duration,
    ratio,
    size: frame ? `${width}x${height}` : null,
    seed,
    media,
    input,
    parameters,
    billed_seconds: duration ?? VIDEOEDIT_BILLED_SECONDS,
  };
}

function checkPrompt(prompt: string | undefined, capability: Capability): string | null {
  if (prompt === undefined || prompt.trim() === '') {
    if (capability === 'i2v') return null;
    throw badRequest('prompt is required', 'prompt');
  }
  const length = [...prompt].length;
  if (length > PROMPT_MAX) {
    throw badRequest(`prompt is ${length} characters long; the limit is ${PROMPT_MAX}`, 'prompt');
  }
  return prompt;
}

function checkNegativePrompt(text: string | undefined): string | null {
  if (text === undefined || text === '') return null;
  const length = [...text].length;
  if (length > NEGATIVE_PROMPT_MAX) {
    throw badRequest(`negative_prompt is ${length} characters long; the limit is ${NEGATIVE_PROMPT_MAX}`, 'negative_prompt');
  }
  return text;
}

function checkResolution(value: string | undefined, field: string): Resolution {
  if (value === undefined || value === '') return '720P';
  const upper = value.toUpperCase();
  if (!(RESOLUTIONS as readonly string[]).includes(upper)) {
    const choices = field === 'size' ? '720P, 1080P or a frame size such as 1280x720' : '720P or 1080P';
    throw badRequest(`${field} must be ${choices}, got "${value}"`, field);
  }
  return upper as Resolution;
}

function checkRatio(value: string | undefined, capability: Capability): Ratio | null {
  if (value === undefined) return null;
  if (capability === 'i2v') {
    throw badRequest(
      'metadata.ratio is not supported by wan2.7-i2v: the output takes the aspect ratio of the first-frame image; remove metadata.ratio',
      'metadata.ratio',
    );
  }
  if (!(RATIOS as readonly string[]).includes(value)) {
    throw badRequest(`metadata.ratio must be one of ${RATIOS.join(', ')}, got "${value}"`, 'metadata.ratio');
  }
  return value as Ratio;
}

function checkSeed(value: number | undefined): number | null {
  if (value === undefined) return null;
  if (!Number.isInteger(value) || value < 0 || value > SEED_MAX) {
    throw badRequest(`metadata.seed must be an integer from 0 to ${SEED_MAX}, got ${value}`, 'metadata.seed');
  }
  return value;
}

function checkDuration(value: number | string | undefined, media: MediaItem[], field: string): number {
  if (value === undefined) return DURATION_LIMITS.default;
  const seconds = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  const max = media.some((m) => m.type === 'reference_video') ? DURATION_LIMITS.maxWithReferenceVideo : DURATION_LIMITS.max;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < DURATION_LIMITS.min || seconds > max) {
    const why = max === DURATION_LIMITS.maxWithReferenceVideo ? ' (the limit with a reference video)' : '';
    throw badRequest(`${field} must be an integer from ${DURATION_LIMITS.min} to ${max} seconds${why}, got ${JSON.stringify(value)}`, field);
  }
  return seconds;
}

function collectMedia(body: SubmitBody, capability: Capability, options: NormalizeOptions): MediaItem[] {
  const maxImageBytes = options.maxImageBytes ?? Infinity;
  const media: MediaItem[] = [];
  (body.metadata?.input?.media ?? []).forEach((raw, index) => {
    const field = `metadata.input.media[${index}]`;
    if (!(MEDIA_TYPES as readonly string[]).includes(raw.type)) {
      throw badRequest(`${field}.type must be one of ${MEDIA_TYPES.join(', ')}, got "${raw.type}"`, `${field}.type`);
    }
    const item = { ...raw, type: raw.type as MediaType };
    checkTypedItem(item, `${field}.url`, maxImageBytes);
    media.push(item);
  });
  const reference = body.input_reference;
  if (typeof reference === 'object' && reference.file_id !== undefined) {
    throw badRequest('input_reference.file_id is not supported: upload the image itself (multipart/form-data) or send input_reference.image_url', 'input_reference');
  }
  const referenceUrl = typeof reference === 'object' ? reference.image_url : reference;
  if (typeof reference === 'object' && referenceUrl === undefined) {
    throw badRequest('input_reference must be an image URL, {"image_url": "..."}, or an uploaded image file', 'input_reference');
  }
  if (referenceUrl !== undefined) {
    const item: MediaItem = { type: inputReferenceType(capability), url: referenceUrl };
    checkTypedItem(item, typeof reference === 'object' ? 'input_reference.image_url' : 'input_reference', maxImageBytes);
    media.push(item);
  }
  // Made by the gateway from the uploaded file, so there is no client URL to check.
  if (options.uploadedReference) media.push({ type: inputReferenceType(capability), url: options.uploadedReference });
  if (capability === 'videoedit' && body.images?.length === 0) {
    throw badRequest('images is required for videoedit', 'images');
  }
  body.images?.forEach((url, index) => media.push(inferImagesEntry(url, index, capability, media, maxImageBytes)));
  return media;
}

function inputReferenceType(capability: Capability): MediaType {
  if (capability === 'i2v') return 'first_frame';
  if (capability === 'r2v') return 'reference_image';
  throw badRequest(`input_reference is for wan2.7-i2v (the first frame) and wan2.7-r2v; wan2.7-${capability} does not take it`, 'input_reference');
}
