// The Chromium the browser tests drive (playwright-core, which downloads no browser of its own):
// CHROMIUM_PATH, else Debian's `chromium` on the PATH. Without one the browser tests are skipped
// and say why; under CI=true (.ci/run installs it) a missing Chromium fails them instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The program's full path (playwright wants one), looked up on the PATH as a shell would. */
const onPath = (name: string): string | undefined =>
  name.includes(path.sep) ? name : (process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, name)).find((file) => existsSync(file));

const candidates = [process.env.CHROMIUM_PATH, 'chromium', 'chromium-browser'].filter((c): c is string => Boolean(c)).map(onPath);
const found = candidates.find((c): c is string => c !== undefined && spawnSync(c, ['--version']).status === 0);

export const CHROMIUM: string | undefined = found;

export const NO_CHROMIUM = `no Chromium found (CHROMIUM_PATH, or chromium on the PATH); install it (apt-get install chromium) to run the browser tests`;

if (!CHROMIUM && process.env.CI === 'true') {
  throw new Error(`CI=true but ${NO_CHROMIUM}: .ci/run installs it, so skipping the browser tests would hide a broken CI machine`);
}
