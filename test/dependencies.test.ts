// package.json stays healthy: every dependency pinned and used, the packages released together at
// one version (a skew is how a generated Prisma client ends up on another release's runtime), each
// such family updated as one by Renovate, and every install script reviewed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
};
const all = { ...pkg.dependencies, ...pkg.devDependencies };

/** Packages released together, by Renovate group name; a family's packages carry one version. */
const FAMILIES: Record<string, (name: string) => boolean> = {
  Prisma: (name) => name === 'prisma' || name.startsWith('@prisma/'),
  'AWS SDK': (name) => name.startsWith('@aws-sdk/'),
  testcontainers: (name) => name === 'testcontainers' || name.startsWith('@testcontainers/'),
  React: (name) => name === 'react' || name === 'react-dom',
};
// Its own release line (a build of the engines, not a Prisma version), bumped with the others.
const OWN_VERSIONING = new Set(['@prisma/schema-engine-wasm']);

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** Renovate's matchPackageNames: exact names, or globs where ** matches anything. */
const matches = (pattern: string, name: string) => new RegExp(`^${pattern.split('**').map(escapeRegExp).join('.*')}$`).test(name);

describe('dependencies', () => {
  it('are pinned to exact versions', () => {
    for (const [name, version] of Object.entries(all)) expect(version, name).toMatch(/^(npm:[\w@/.-]+@)?\d+\.\d+\.\d+(-[\w.]+)?$/);
  });

  it('of one family share one version', () => {
    for (const [family, member] of Object.entries(FAMILIES)) {
      const versions = Object.entries(all).filter(([name]) => member(name) && !OWN_VERSIONING.has(name));
      expect(versions.length, family).toBeGreaterThan(0);
      expect(new Set(versions.map(([, v]) => v)).size, `${family}: ${JSON.stringify(Object.fromEntries(versions))}`).toBe(1);
    }
  });

  it('of one family are updated together by Renovate', () => {
    const renovate = JSON.parse(read('renovate.json')) as { packageRules: { groupName?: string; matchPackageNames?: string[] }[] };
    for (const [family, member] of Object.entries(FAMILIES)) {
      const rule = renovate.packageRules.find((r) => r.groupName === family);
      expect(rule, `a Renovate group "${family}"`).toBeDefined();
      for (const name of Object.keys(all)) {
        const grouped = rule!.matchPackageNames!.some((pattern) => matches(pattern, name));
        expect(grouped, `${name} in the Renovate group "${family}"`).toBe(member(name));
      }
    }
  });

  it('are each used by the code, its configuration or its scripts', () => {
    const files = execFileSync('git', ['ls-files', '-z', 'src', 'test', 'bench', 'scripts', 'examples', 'prisma', 'console', '*.config.*', 'tsconfig.json'], { cwd: root })
      .toString()
      .split('\0')
      .filter((file) => file && existsSync(path.join(root, file)) && !file.endsWith('.mp4'));
    // The generated Prisma client (not committed) is what imports @prisma/client's runtime.
    const generated = readdirSync(path.join(root, 'src/generated'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => path.join('src/generated', file));
    const code = [...files, ...generated].map(read).join('\n');
    const scripts = Object.values(pkg.scripts).join('\n');
    const binsOf = (name: string): string[] => {
      const { bin } = JSON.parse(read(`node_modules/${name}/package.json`)) as { bin?: string | Record<string, string> };
      return typeof bin === 'string' ? [name] : Object.keys(bin ?? {});
    };
    const used = (name: string): boolean => {
      if (name.startsWith('@types/')) {
        const typed = name.slice('@types/'.length).replace('__', '/');
        return typed === 'node' || used(typed);
      }
      return new RegExp(`['"]${escapeRegExp(name)}['"/]`).test(code) || binsOf(name).some((bin) => new RegExp(`(^|[\\s/])${bin}(\\s|$)`, 'm').test(scripts));
    };
    expect(Object.keys(all).filter((name) => !used(name))).toEqual([]);
  });

  it('have every install script reviewed (allowScripts), so npm ci prints no warning about them', ({ skip }) => {
    const npm = spawnSync('npm', ['install-scripts', 'ls'], { cwd: root, encoding: 'utf8' });
    // npm learnt allowScripts in version 11; an older one runs every script and says nothing. CI's does.
    skip(/Unknown command/i.test(npm.stderr + npm.stdout) && process.env.CI !== 'true', `npm ${execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim()} has no allowScripts`);
    expect(npm.stdout).toMatch(/No packages with unreviewed install scripts/);
  });
});
