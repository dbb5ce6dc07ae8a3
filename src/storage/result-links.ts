// The link a client gets for a task's video: the gateway's own copy once it is stored (signed, valid
// RESULT_LINK_TTL_S from now but never past the copy's deletion), else the upstream's link.
import type { Config } from '../config/env.ts';
import type { Storage } from './storage.ts';

export interface TaskResultFields {
  resultCopy: string;
  resultKey: string | null;
  resultExpiresAt: Date | null;
  resultUrl: string;
}

export interface TaskThumbnailFields {
  resultCopy: string;
  thumbnailKey: string | null;
  resultExpiresAt: Date | null;
}

export interface ResultLinks {
  /** The video's link; the upstream's (possibly '') while the gateway has no copy. */
  linkFor(task: TaskResultFields): Promise<string>;
  /** The thumbnail's link, or null when there is none (no stored copy, or no ffmpeg). */
  thumbnailLinkFor(task: TaskThumbnailFields): Promise<string | null>;
}

export function createResultLinks(storage: Storage, config: Pick<Config, 'RESULT_LINK_TTL_S'>): ResultLinks {
  const expiry = (resultExpiresAt: Date | null): Date => {
    const ttlEnd = Date.now() + config.RESULT_LINK_TTL_S * 1000;
    return new Date(resultExpiresAt ? Math.min(ttlEnd, resultExpiresAt.getTime()) : ttlEnd);
  };
  return {
    async linkFor(task) {
      if (task.resultCopy !== 'stored' || !task.resultKey) return task.resultUrl;
      return storage.signedUrl(task.resultKey, expiry(task.resultExpiresAt));
    },
    async thumbnailLinkFor(task) {
      if (task.resultCopy !== 'stored' || !task.thumbnailKey) return null;
      return storage.signedUrl(task.thumbnailKey, expiry(task.resultExpiresAt));
    },
  };
}
