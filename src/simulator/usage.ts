// The `usage` block a SUCCEEDED wan2.7 task reports, per model, with the field order DashScope's
// examples show. Billing reads it: r2v and videoedit bill input-video seconds plus output seconds.
import { createHash } from 'node:crypto';
import type { Submission } from './submission.ts';

export type Usage = Record<string, number | string>;

const SR = { '720P': 720, '1080P': 1080 } as const;

export function usageOf(submission: Submission): Usage {
  const { family, duration, resolution, ratio, media } = submission;
  const sr = SR[resolution];
  switch (family) {
    case 't2v':
      return { duration, input_video_duration: 0, output_video_duration: duration, video_count: 1, ratio: ratio ?? '16:9', SR: sr };
    case 'i2v':
      return { duration, input_video_duration: 0, output_video_duration: duration, video_count: 1, SR: sr };
    case 'r2v': {
      const input = media.filter((item) => item.type === 'reference_video').reduce((sum, item) => sum + referenceVideoSeconds(item.url), 0);
      return {
        duration: input + duration,
        input_video_duration: input,
        output_video_duration: duration,
        video_count: 1,
        SR: sr,
        ratio: ratio ?? '16:9',
      };
    }
    case 'videoedit': {
      const source = media.find((item) => item.type === 'video')?.url ?? '';
      // The edit covers the source (or its first `duration` seconds) and outputs the same length.
      const hundredths = duration > 0 ? duration * 100 : sourceVideoHundredths(source);
      return {
        duration: (2 * hundredths) / 100,
        input_video_duration: hundredths / 100,
        output_video_duration: hundredths / 100,
        video_count: 1,
        SR: sr,
      };
    }
  }
}

// The simulator never downloads media, yet a video's length must not change between two submits
// of the same URL, so it is derived from the URL itself.
const urlNumber = (url: string): number => createHash('sha256').update(url).digest().readUInt32BE(0);

/** Whole seconds 2–10, like the reference clips in DashScope's examples. */
const referenceVideoSeconds = (url: string): number => 2 + (urlNumber(url) % 9);

/** 2.00–10.00 s in hundredths: videoedit sources may last any length within the allowed range. */
const sourceVideoHundredths = (url: string): number => 200 + (urlNumber(url) % 801);
