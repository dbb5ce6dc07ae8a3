// The submit body checked the way DashScope checks it for the wan2.7 models: envelope, prompt,
// media and parameters. Keys the simulator does not know are tolerated, as upstream tolerates the
// SDKs' extra fields (e.g. input.extend_prompt).
import { RATIOS, RESOLUTIONS, type Ratio, type Resolution } from '../modules/tasks/models.ts';
import { type MediaItem, readMedia } from './media-rules.ts';
import { invalidParameter } from './upstream-errors.ts';

export type Family = 't2v' | 'i2v' | 'r2v' | 'videoedit';

export interface Submission {
  family: Family;
  /** After directives were removed and over-length text cut; undefined when none was sent. */
  prompt: string | undefined;
  media: MediaItem[];
  resolution: Resolution;
  /** undefined where the model has no ratio of its own (i2v, or videoedit following its source). */
  ratio: Ratio | undefined;
  /** Seconds asked for; videoedit's 0 means "as long as the source video". */
  duration: number;
}

// Dated snapshots such as wan2.7-t2v-2026-04-25 are the same model.
const MODEL = /^wan2\.7-(t2v|i2v|r2v|videoedit)(?:-\d{4}-\d{2}-\d{2})?$/;
const PROMPT_MAX_CHARS = 5000;
const SEED_MAX = 2_147_483_647;
const DEFAULT_DURATION = 5;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
// Clients built from optional fields often send null for "not set"; it reads as absent.
const isAbsent = (value: unknown): value is undefined | null => value === undefined || value === null;

/** `prompt` is input.prompt with its directives already removed (or input.prompt as sent). */
export function readSubmission(body: Json, prompt: unknown): Submission {
  if (isAbsent(body.model) || body.model === '') throw invalidParameter('Required parameter "model" missing from request.');
  const model = body.model;
  const family = typeof model === 'string' ? (MODEL.exec(model)?.[1] as Family | undefined) : undefined;
  if (typeof model !== 'string' || !family) throw invalidParameter('Model not exist.');
  if (!isObject(body.input)) throw invalidParameter('Required input parameter missing from request.');
  if (!isAbsent(body.parameters) && !isObject(body.parameters)) throw invalidParameter('Field parameters must be an object.');
  const input = body.input;
  const parameters = isObject(body.parameters) ? body.parameters : {};

  const checkedPrompt = readPrompt(family, prompt);
  // Over 500 characters is cut upstream, never an error, and the simulator never echoes it.
  if (!isAbsent(input.negative_prompt) && typeof input.negative_prompt !== 'string') {
    throw invalidParameter('Field input.negative_prompt must be a string.');
  }
  if (family === 't2v') checkAudioUrl(input.audio_url);
  const media = readMedia(family, model, input.media);
  const resolution = readResolution(parameters.resolution);
  const ratio = readRatio(family, model, parameters.ratio);
  const duration = readDuration(family, parameters.duration, media.some((item) => item.type === 'reference_video'));
  checkSeed(parameters.seed);
  return { family, prompt: checkedPrompt, media, resolution, ratio, duration };
}

function readPrompt(family: Family, prompt: unknown): string | undefined {
  const required = family === 't2v' || family === 'r2v';
  if (isAbsent(prompt) || (required && typeof prompt === 'string' && prompt.trim() === '')) {
    if (required) throw invalidParameter('Field required: input.prompt');
    return undefined;
  }
  if (typeof prompt !== 'string') throw invalidParameter('Field input.prompt must be a string.');
  return truncate(prompt, PROMPT_MAX_CHARS);
}

/** The prompt as DashScope echoes it in orig_prompt: as sent, cut to the length limit. */
export const echoedPrompt = (sent: string): string => truncate(sent, PROMPT_MAX_CHARS);

// DashScope cuts over-long prompts instead of rejecting them, counting characters, not UTF-16 units.
function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const chars = Array.from(text);
  return chars.length <= maxChars ? text : chars.slice(0, maxChars).join('');
}

function checkAudioUrl(value: unknown): void {
  if (isAbsent(value)) return;
  const ok = typeof value === 'string' && /^https?:\/\/[^/\s]+/i.test(value);
  if (!ok) throw invalidParameter('The url of input.audio_url is invalid; it must be an http(s) URL.');
}

function readResolution(value: unknown): Resolution {
  if (isAbsent(value)) return '1080P';
  if (!RESOLUTIONS.includes(value as Resolution)) throw invalidParameter(`The resolution must be one of ${RESOLUTIONS.join(', ')}.`);
  return value as Resolution;
}

function readRatio(family: Family, model: string, value: unknown): Ratio | undefined {
  if (family === 'i2v') {
    if (!isAbsent(value)) throw invalidParameter(`Model ${model} does not support the ratio parameter; the output follows the first frame.`);
    return undefined;
  }
  if (isAbsent(value)) return family === 'videoedit' ? undefined : '16:9';
  if (!RATIOS.includes(value as Ratio)) throw invalidParameter(`The ratio must be one of ${RATIOS.join(', ')}.`);
  return value as Ratio;
}

function readDuration(family: Family, value: unknown, hasReferenceVideo: boolean): number {
  if (family === 'videoedit') {
    if (isAbsent(value)) return 0;
    if (value === 0 || isIntegerIn(value, 2, 10)) return value as number;
    throw invalidParameter('The duration must be 0 or an integer between 2 and 10.');
  }
  if (isAbsent(value)) return DEFAULT_DURATION;
  const max = hasReferenceVideo ? 10 : 15;
  if (!isIntegerIn(value, 2, max)) {
    throw invalidParameter(`The duration must be an integer between 2 and ${max}${hasReferenceVideo ? ' when a reference_video is provided' : ''}.`);
  }
  return value as number;
}

function checkSeed(value: unknown): void {
  if (!isAbsent(value) && !isIntegerIn(value, 0, SEED_MAX)) throw invalidParameter(`The seed must be an integer between 0 and ${SEED_MAX}.`);
}

const isIntegerIn = (value: unknown, min: number, max: number): boolean =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
