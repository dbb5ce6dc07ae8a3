// Storage keys are relative, slash-separated paths such as `results/task_abc.mp4`. One rule for
// every driver, strict enough that a key is always a safe file path inside the local folder, a
// plain S3 object name and a URL path that needs no escaping.
export class InvalidStorageKeyError extends Error {
  constructor(key: string) {
    super(`invalid storage key ${JSON.stringify(key)}: use slash-separated names of letters, digits, "_", "-" and "." that do not start with "."`);
    this.name = 'InvalidStorageKeyError';
  }
}

// A segment may not start with a dot: that rules out "." and "..", and leaves names starting with
// a dot free for the local driver's temporary and metadata files.
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;
const MAX_KEY_LENGTH = 512;

export function checkKey(key: string): string {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !key.split('/').every((segment) => SEGMENT.test(segment))) {
    throw new InvalidStorageKeyError(key);
  }
  return key;
}

export const RESULTS_PREFIX = 'results/';
export const UPLOADS_PREFIX = 'uploads/';

export const resultVideoKey = (taskId: string): string => checkKey(`${RESULTS_PREFIX}${taskId}.mp4`);

export const resultThumbnailKey = (taskId: string, extension: 'webp' | 'jpg'): string =>
  checkKey(`${RESULTS_PREFIX}${taskId}.thumbnail.${extension}`);
