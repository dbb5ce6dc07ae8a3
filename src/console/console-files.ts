// Where the web console's sources and its build live, and whether the build is up to date.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');

export const CONSOLE_DIR = path.join(root, 'console');
/** Vite's output, served at /console. */
export const CONSOLE_DIST = path.join(CONSOLE_DIR, 'dist');
export const CONSOLE_INDEX = path.join(CONSOLE_DIST, 'index.html');

// What the build is made from: its sources, its configuration, the gateway's code it shares
// (src/shared: plain modules the browser bundles too) and the dependencies it bundles.
const INPUTS = [...['src', 'index.html', 'vite.config.ts', 'tsconfig.json', 'public'].map((name) => path.join(CONSOLE_DIR, name)), path.join(root, 'src', 'shared')];
const LOCKFILE = path.join(root, 'package-lock.json');

function newestMtime(file: string): number {
  if (!existsSync(file)) return 0;
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(file).reduce((newest, name) => Math.max(newest, newestMtime(path.join(file, name))), stat.mtimeMs);
}

/** Why the console must be built (again), or null when its build is newer than everything it is made from. */
export function staleReason(): string | null {
  if (!existsSync(CONSOLE_INDEX)) return 'it has not been built yet';
  const built = statSync(CONSOLE_INDEX).mtimeMs;
  const changed = [...INPUTS, LOCKFILE].find((input) => newestMtime(input) > built);
  return changed ? `${path.relative(root, changed)} changed since the last build` : null;
}
