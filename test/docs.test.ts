// The README and docs/ link only to what a clone has: files of the repository and headings that
// exist (the public contract is described in docs/api.md, not linked outside the repository).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const pages = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor for a heading. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

const anchorsOf = (file: string) =>
  new Set([...readFileSync(path.join(root, file), 'utf8').matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));

it('links only to files and headings in the repository', () => {
  const broken: string[] = [];
  for (const page of pages) {
    const text = readFileSync(path.join(root, page), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^https?:/.test(target!)) continue;
      const [file, anchor] = target!.split('#');
      const resolved = file ? path.relative(root, path.resolve(root, path.dirname(page), file)) : page;
      if (resolved.startsWith('..') || !existsSync(path.join(root, resolved))) broken.push(`${page}: ${target} (no ${resolved} in the repository)`);
      else if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) broken.push(`${page}: ${target} (no such heading)`);
    }
  }
  expect(broken).toEqual([]);
});

it('keeps the README a front door: the two commands, a $BASE to try it with, and the rest in docs/', () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  expect(readme).toContain('npm start');
  expect(readme).toContain('npm test');
  expect(readme).toMatch(/^BASE=/m);
  expect(readme).not.toMatch(/curl[^\n]*localhost/);
  for (const page of ['docs/api.md', 'docs/operations.md', 'docs/architecture.md', 'docs/benchmarks.md']) expect(readme).toContain(`](${page})`);
});
