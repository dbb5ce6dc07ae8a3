// input.media[] as each wan2.7 model takes it: which types, how many of each, and what URLs.
import type { Family } from './submission.ts';
import { invalidParameter } from './upstream-errors.ts';

export type MediaType = 'first_frame' | 'last_frame' | 'driving_audio' | 'reference_image' | 'reference_video' | 'video';

export interface MediaItem {
  type: MediaType;
  url: string;
}

/** The most of each type a model takes; a type missing here is not accepted by that model. */
const MAX_COUNT: Record<Family, Partial<Record<MediaType, number>>> = {
  t2v: {},
  // With each type at most once and first_frame required, exactly DashScope's legal combinations
  // remain: first_frame, +driving_audio, +last_frame, +last_frame+driving_audio.
  i2v: { first_frame: 1, last_frame: 1, driving_audio: 1 },
  // DashScope caps references at 5; the gateway's public contract promises 1–9 reference images,
  // so images and the image+video total go to 9 while videos keep DashScope's 5.
  r2v: { reference_image: 9, reference_video: 5, first_frame: 1 },
  videoedit: { video: 1, reference_image: 3 },
};
const MAX_REFERENCES = 9;

const IMAGE_TYPES: ReadonlySet<string> = new Set(['first_frame', 'last_frame', 'reference_image']);
const DATA_IMAGE = /^data:image\/[\w.+-]+;base64,/i;

/** Reads and checks input.media for `family`; t2v takes no media and ignores the field. */
export function readMedia(family: Family, model: string, media: unknown): MediaItem[] {
  if (family === 't2v') return [];
  if (media === undefined || media === null) throw invalidParameter('Field required: input.media');
  if (!Array.isArray(media)) throw invalidParameter('Field input.media must be an array.');
  const items = media.map((item: unknown, index) => readItem(family, model, item, `input.media[${index}]`));
  checkCounts(family, model, items);
  return items;
}

function readItem(family: Family, model: string, item: unknown, field: string): MediaItem {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalidParameter(`Field ${field} must be an object.`);
  const { type, url } = item as Record<string, unknown>;
  if (type === undefined || type === null) throw invalidParameter(`Field required: ${field}.type`);
  if (typeof type !== 'string') throw invalidParameter(`Field ${field}.type must be a string.`);
  if (!Object.hasOwn(MAX_COUNT[family], type)) throw invalidParameter(`Media type "${type}" is not supported by model ${model}.`);
  if (url === undefined || url === null) throw invalidParameter(`Field required: ${field}.url`);
  if (typeof url !== 'string') throw invalidParameter(`Field ${field}.url must be a string.`);
  checkUrl(url, IMAGE_TYPES.has(type), field);
  return { type: type as MediaType, url };
}

function checkUrl(url: string, isImage: boolean, field: string): void {
  if (isImage && DATA_IMAGE.test(url)) return;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed && (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname) return;
  const accepted = isImage ? 'an http(s) URL or a data:image/...;base64 URI' : 'an http(s) URL';
  throw invalidParameter(`The url of ${field} is invalid; it must be ${accepted}.`);
}

function checkCounts(family: Family, model: string, items: MediaItem[]): void {
  const count = (type: MediaType) => items.filter((item) => item.type === type).length;
  for (const [type, max] of Object.entries(MAX_COUNT[family]) as [MediaType, number][]) {
    if (count(type) > max) throw invalidParameter(`Model ${model} accepts at most ${max} media item(s) of type ${type}, got ${count(type)}.`);
  }
  switch (family) {
    case 'i2v':
      if (count('first_frame') === 0) throw invalidParameter(`Model ${model} requires a media item of type first_frame.`);
      return;
    case 'r2v': {
      const references = count('reference_image') + count('reference_video');
      if (references === 0) throw invalidParameter(`Model ${model} requires at least one media item of type reference_image or reference_video.`);
      if (references > MAX_REFERENCES) {
        throw invalidParameter(`Model ${model} accepts at most ${MAX_REFERENCES} reference_image and reference_video items in total, got ${references}.`);
      }
      return;
    }
    case 'videoedit':
      if (count('video') === 0) throw invalidParameter(`Model ${model} requires a media item of type video.`);
      return;
    case 't2v':
      return;
  }
}
