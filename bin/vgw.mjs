#!/usr/bin/env node
// The `vgw` command: runs the CLI (src/cli/vgw.ts) through scripts/run.mjs, which picks a Node.js
// that runs TypeScript.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const child = spawn(process.execPath, [path.join(root, 'scripts', 'run.mjs'), path.join(root, 'src', 'cli', 'vgw.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
