// Media inputs: where each kind may come from, what a URL's extension says it is, and the
// per-model rules on how many of each type a request may carry.
import { AppError, badRequest, excerpt } from '../../lib/errors.ts';
import { dataUriImage } from './images.ts';
import type { Capability } from './models.ts';

export const MEDIA_TYPES = [
  'first_frame',
  'last_frame',
  'driving_audio',
  'reference_image',
  'reference_video',
  'video',
] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

export interface MediaItem {
  type: MediaType;
  url: string;
  /** Upstream extras on the item (e.g. r2v's reference_voice), passed through unchanged. */
  [extra: string]: unknown;
}

type Kind = 'image' | 'video' | 'audio';

const KIND_OF_TYPE: Record<MediaType, Kind> = {
  first_frame: 'image',
  last_frame: 'image',
  reference_image: 'image',
  reference_video: 'video',
  video: 'video',
  driving_audio: 'audio',
};

const EXTENSIONS: Record<string, Kind> = {
  jpg: 'image',
  jpeg: 'image',
  png: 'image',
  webp: 'image',
  bmp: 'image',
  mp4: 'video',
  mov: 'video',
  mp3: 'audio',
  wav: 'audio',
};

/** [min, max] count of each media type per model; a type not listed is not accepted. */
const COUNT_RULES: Record<Capability, Partial<Record<MediaType, [number, number]>>> = {
  t2v: {},
  i2v: { first_frame: [1, 1], last_frame: [0, 1], driving_audio: [0, 1] },
  r2v: { reference_image: [0, 9], reference_video: [0, 9], first_frame: [0, 1] },
  videoedit: { video: [1, 1], reference_image: [0, 3] },
};

const DATA_URI = /^data:(image\/(?:png|jpe?g|webp|bmp));base64,[A-Za-z0-9+/=\s]+$/i;

export interface UrlFacts {
  /** What the URL's extension (or data: MIME type) says it holds; undefined when it says nothing. */
  kind: Kind | undefined;
  extension: string | undefined;
}

/**
 * Checks that `url` is an http(s) URL, or a base64 data: URI of an image (of at most
 * `maxImageBytes`, and really an image: it is kept in storage at submit).
 */
export function inspectMediaUrl(url: string, field: string, maxImageBytes: number): UrlFacts {
  if (url.startsWith('data:')) {
    if (!DATA_URI.test(url)) {
      throw badRequest(`${field} is a data: URI, which is accepted only as a base64 PNG, JPEG, WEBP or BMP image`, field);
    }
    const image = dataUriImage(url);
    if (!image) throw badRequest(`${field} is a data: URI whose content is not a PNG, JPEG, WEBP or BMP image`, field);
    if (image.bytes.length > maxImageBytes) {
      throw new AppError('payload_too_large', `${field} is an image of ${image.bytes.length} bytes; the limit is ${maxImageBytes}`, field);
    }
    return { kind: 'image', extension: undefined };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest(`${field} must be an http(s) URL (or a data: URI for an image), got "${excerpt(url, 80)}"`, field);
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) {
    throw badRequest(`${field} must be an http(s) URL (or a data: URI for an image), got "${excerpt(url, 80)}"`, field);
  }
  const extension = /\.([A-Za-z0-9]+)$/.exec(parsed.pathname)?.[1]?.toLowerCase();
  return { kind: extension ? EXTENSIONS[extension] : undefined, extension };
}

/** The media type an `images` entry stands for, inferred from its extension. */
export function inferImagesEntry(url: string, index: number, capability: Capability, seen: MediaItem[], maxImageBytes: number): MediaItem {
  const field = `images[${index}]`;
  const { kind } = inspectMediaUrl(url, field, maxImageBytes);
  if (!kind) {
    throw badRequest(
      `cannot tell what ${field} is from its URL: use a .mp4/.mov, .png/.jpg/.jpeg/.webp/.bmp or .mp3/.wav URL, or list it in metadata.input.media with an explicit type`,
      field,
    );
  }
  const type = inferredType(kind, capability, seen, index);
  if (!type && capability === 'videoedit' && index === 0) {
    throw badRequest('images[0] must be the source video (an MP4 or MOV URL) for wan2.7-videoedit', field);
  }
  if (!type) throw badRequest(`${field} is ${article(kind)} ${kind}, which ${modelName(capability)} does not take there`, field);
  return { type, url };
}

function inferredType(kind: Kind, capability: Capability, seen: MediaItem[], index: number): MediaType | undefined {
  switch (capability) {
    case 'videoedit':
      if (index === 0) return kind === 'video' ? 'video' : undefined;
      return kind === 'image' ? 'reference_image' : undefined;
    case 'r2v':
      return kind === 'image' ? 'reference_image' : kind === 'video' ? 'reference_video' : undefined;
    case 'i2v':
      if (kind === 'audio') return 'driving_audio';
      if (kind !== 'image') return undefined;
      return seen.some((m) => m.type === 'first_frame') ? 'last_frame' : 'first_frame';
    case 't2v':
      return undefined;
  }
}

/** Validates an explicitly typed media item's URL (named `field` in messages) against its type. */
export function checkTypedItem(item: MediaItem, field: string, maxImageBytes: number): void {
  const { kind, extension } = inspectMediaUrl(item.url, field, maxImageBytes);
  const expected = KIND_OF_TYPE[item.type];
  if (kind && kind !== expected) {
    throw badRequest(`${field} looks like ${article(kind)} ${kind}, but ${item.type} needs ${article(expected)} ${expected}`, field);
  }
  if (item.type === 'video' && extension && kind !== 'video') {
    throw badRequest(`${field} must be an MP4 or MOV video`, field);
  }
}

/** Enforces the per-model count of each media type. */
export function checkMediaCounts(capability: Capability, media: MediaItem[]): void {
  const rules = COUNT_RULES[capability];
  const model = modelName(capability);
  for (const item of media) {
    if (!rules[item.type]) {
      const accepted = Object.keys(rules);
      throw badRequest(
        accepted.length
          ? `${model} does not take ${item.type} media; it accepts ${accepted.join(', ')}`
          : `${model} takes no media inputs; remove images, input_reference and metadata.input.media`,
        'metadata.input.media',
      );
    }
  }
  const count = (type: MediaType) => media.filter((m) => m.type === type).length;
  switch (capability) {
    case 'i2v':
      if (count('first_frame') !== 1) {
        throw badRequest(
          count('first_frame') === 0
            ? 'wan2.7-i2v needs a first-frame image: set input_reference to its URL'
            : 'wan2.7-i2v takes exactly one first frame; send either input_reference or one first_frame media item',
          'input_reference',
        );
      }
      break;
    case 'r2v':
      if (count('reference_image') + count('reference_video') === 0) {
        throw badRequest('wan2.7-r2v needs 1–9 reference images: add reference_image items to metadata.input.media', 'metadata.input.media');
      }
      break;
    case 'videoedit':
      if (count('video') === 0) throw badRequest('images is required for videoedit', 'images');
      if (count('video') > 1) throw badRequest('wan2.7-videoedit takes exactly one source video', 'images');
      break;
    case 't2v':
      break;
  }
  for (const [type, [, max]] of Object.entries(rules) as [MediaType, [number, number]][]) {
    if (count(type) > max) {
      throw badRequest(`${model} takes at most ${max} ${type} item${max === 1 ? '' : 's'}, got ${count(type)}`, 'metadata.input.media');
    }
  }
}

const modelName = (capability: Capability) => `wan2.7-${capability}`;
const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');
