// scripts/run.mjs on a machine whose Node.js is too old, as a fresh clone meets it: before the
// download it says what it installs, where and how big, npm prints no warning about install
// scripts, and the next run uses what it installed without a word.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';

const RUN = path.resolve(import.meta.dirname, '../../scripts/run.mjs');
// The system's Node.js, where it is older than the project needs (Debian 12's is 18 or 20).
const OLD_NODE = '/usr/bin/node';
const oldVersion = spawnSync(OLD_NODE, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
const [major = 0, minor = 0] = oldVersion.replace(/^v/, '').split('.').map(Number);
const hasOldNode = major > 0 && (major < 22 || (major === 22 && minor < 12));

const home = mkdtempSync(path.join(tmpdir(), 'vgw-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

it('installs Node.js 24 once, saying so first, without npm warnings', ({ skip }) => {
  skip(!hasOldNode, `no Node.js older than 22.12 at ${OLD_NODE} (${oldVersion || 'none'}) to start from`);
  // A home of its own (so ~/.cache/node24 is new), the machine's npm cache (so nothing is downloaded
  // twice), and the rest of this environment (how this machine reaches the registry).
  const env = {
    ...process.env,
    PATH: `${path.dirname(OLD_NODE)}:/bin`,
    HOME: home,
    npm_config_cache: execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim(),
    npm_config_prefer_offline: 'true',
  };
  const first = spawnSync(OLD_NODE, [RUN, '--version'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  expect(first.status, first.stderr).toBe(0);
  expect(first.stdout.trim().split('\n').at(-1)).toMatch(/^v24\./);
  expect(first.stderr).toContain(`[run] Node.js ${oldVersion} is too old (need >= 22.12). Once only: installing Node.js 24`);
  expect(first.stderr).toContain('about 190 MB');
  expect(first.stderr).not.toMatch(/npm warn/i);

  const second = spawnSync(OLD_NODE, [RUN, '--version'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  expect(second.stdout.trim()).toMatch(/^v24\./);
  expect(second.stderr).toBe('');
}, 150_000);
