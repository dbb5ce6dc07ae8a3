#!/usr/bin/env node
// Runs a project script on a Node.js that can run it, after making sure the project is set up.
// Plain JavaScript on purpose: it has to work on the old Node.js some machines still have, so that
// `npm start` and `npm test` are the only commands a fresh clone needs.
//
//   1. Node.js >= 22.12 (TypeScript type stripping): use this one, or install node@24 from the npm
//      registry into ~/.cache/node24 and use that.
//   2. Dependencies: `npm ci` when node_modules is missing or older than package-lock.json.
//   3. Query types (src/generated): regenerated when prisma/schema.prisma is newer than them.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [script, ...args] = process.argv.slice(2);
if (!script) {
  console.error('usage: node scripts/run.mjs <script> [args...]');
  process.exit(2);
}

const MIN = [22, 12];
const NODE_PREFIX_PACKAGE = { private: true, description: 'Node.js 24 for projects that need it (scripts/run.mjs)', allowScripts: { node: true } };
const isRecent = (version) => {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major > MIN[0] || (major === MIN[0] && minor >= MIN[1]);
};

function nodeBinDir() {
  if (isRecent(process.version)) return path.dirname(process.execPath);
  const prefix = path.join(homedir(), '.cache', 'node24');
  const bin = path.join(prefix, 'node_modules', '.bin');
  if (!existsSync(path.join(bin, 'node'))) {
    console.error(
      `[run] Node.js ${process.version} is too old (need >= ${MIN.join('.')}). Once only: installing Node.js 24 from the npm ` +
        `registry into ${prefix} (about 190 MB on disk, a minute or so); it does not touch the system's Node.js.`,
    );
    // The folder is a project of its own to npm: its package.json approves the one install script
    // (the node package's preinstall fetches the binary for this platform), so npm does not warn.
    mkdirSync(prefix, { recursive: true });
    writeFileSync(path.join(prefix, 'package.json'), `${JSON.stringify(NODE_PREFIX_PACKAGE, null, 2)}\n`);
    must(spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, 'node@24'], { stdio: 'inherit' }), 'installing node@24');
  }
  return bin;
}

function must(result, what) {
  if (result.status !== 0) {
    console.error(`[run] ${what} failed`);
    process.exit(result.status ?? 1);
  }
}

const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0);

const binDir = nodeBinDir();
const env = { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}` };
const nodeExe = path.join(binDir, 'node');

const installed = path.join(root, 'node_modules', '.package-lock.json');
if (mtime(installed) < mtime(path.join(root, 'package-lock.json'))) {
  console.error(
    '[run] installing the dependencies (npm ci) into node_modules/: about 570 MB, one to three minutes depending on the ' +
      'network. Only on the first start, and again when package-lock.json changes.',
  );
  must(spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, env, stdio: 'inherit' }), 'npm ci');
}
const client = path.join(root, 'src', 'generated', 'kysely', 'database.ts');
if (mtime(client) < mtime(path.join(root, 'prisma', 'schema.prisma'))) {
  must(spawnSync(nodeExe, [path.join(root, 'scripts', 'prisma-generate.mjs')], { cwd: root, env, stdio: 'inherit' }), 'prisma generate');
}

const child = spawn(nodeExe, [script, ...args], { cwd: process.cwd(), env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
