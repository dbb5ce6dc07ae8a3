// The ffmpeg the tests use, found as the gateway finds it: FFMPEG_PATH, else `ffmpeg` on the PATH.
// A contributor without ffmpeg sees the tests that need it skipped, with the reason; CI installs it
// (.ci/run), so under CI=true a missing ffmpeg fails every file that imports this, loudly, instead
// of letting the thumbnail tests pass by skipping.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const FFMPEG = process.env.FFMPEG_PATH || 'ffmpeg';
/** ffprobe, from the same installation. */
export const FFPROBE = FFMPEG.includes(path.sep) ? path.join(path.dirname(FFMPEG), 'ffprobe') : 'ffprobe';

export const HAS_FFMPEG = spawnSync(FFMPEG, ['-version']).status === 0;

const NO_FFMPEG = `ffmpeg not found (FFMPEG_PATH or PATH: ${FFMPEG}); install it (apt-get install ffmpeg) to run this test`;

if (!HAS_FFMPEG && process.env.CI === 'true') {
  throw new Error(`CI=true but ${NO_FFMPEG}: .ci/run installs it, so a skipped thumbnail test would hide a broken CI machine`);
}

let warned = false;

/** Skips the calling test (or, from beforeEach, every test of its suite) when there is no ffmpeg, saying why. */
export function skipWithoutFfmpeg(skip: (condition: boolean, note?: string) => void): void {
  if (!HAS_FFMPEG && !warned) {
    warned = true;
    console.error(`skipping the tests that need ffmpeg: ${NO_FFMPEG}`);
  }
  skip(!HAS_FFMPEG, NO_FFMPEG);
}
