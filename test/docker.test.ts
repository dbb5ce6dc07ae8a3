// The Docker deployment, checked without a Docker engine: docker-compose.yml parses and holds
// together (every variable a service sets is read by someone, every dependency waits on something
// that can report, no secret has a default, one image built once), and the Dockerfile's steps run:
// its sources are in the build context .dockerignore leaves, and its npm commands work there.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Ignore } from '@balena/dockerignore';
import { DockerfileParser, type From, type Instruction } from 'dockerfile-ast';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { envSchema, loadConfig } from '../src/config/env.ts';

const root = path.resolve(import.meta.dirname, '..');
// Docker's own .dockerignore rules. A CommonJS module whose types declare a default export it lacks.
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as (options?: { ignorecase?: boolean }) => Ignore;
const read = (file: string) => readFile(path.join(root, file), 'utf8');

interface Healthcheck {
  test: string[];
}
interface Service {
  image: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  restart?: string;
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  stop_grace_period?: string;
}

/** What each image documents as its own settings (the gateway's are envSchema's keys). */
const IMAGE_VARIABLES: Record<string, RegExp> = {
  postgres: /^(POSTGRES_(USER|PASSWORD|DB|INITDB_ARGS|INITDB_WALDIR|HOST_AUTH_METHOD)|PGDATA)$/,
  redis: /^$/,
  'minio/minio': /^MINIO_\w+$/,
  // mc's alias from the environment: MC_HOST_<alias>=http://user:password@host:port
  'minio/mc': /^MC_HOST_\w+$/,
};

describe('docker-compose.yml', () => {
  let text: string;
  let services: Record<string, Service>;
  let gatewayImage: string;
  const isGateway = (service: Service) => service.image === gatewayImage;

  beforeAll(async () => {
    text = await read('docker-compose.yml');
    const doc = parseDocument(text, { merge: true });
    expect(doc.errors, String(doc.errors)).toEqual([]);
    expect(doc.warnings, String(doc.warnings)).toEqual([]);
    services = (doc.toJS({ maxAliasCount: -1 }) as { services: Record<string, Service> }).services;
    gatewayImage = Object.values(services).find((s) => s.build)!.image;
  });

  it('builds the gateway image once, in one service, and runs every gateway process from it', () => {
    const builders = Object.entries(services).filter(([, s]) => s.build !== undefined);
    expect(builders.map(([name]) => name)).toEqual(['migrate']);
    const gateway = Object.keys(services).filter((name) => isGateway(services[name]!));
    expect(gateway.sort()).toEqual(['api', 'migrate', 'simulator', 'simulator-channel', 'worker']);
    for (const name of gateway) expect(services[name]!.command?.[0], name).toBe('node');
  });

  it('runs entry points and health checks that exist', async () => {
    for (const [name, service] of Object.entries(services).filter(([, s]) => isGateway(s))) {
      await expect(readFile(path.join(root, service.command![1]!)), `${name}: ${service.command}`).resolves.toBeDefined();
      const check = service.healthcheck?.test;
      if (check) await expect(readFile(path.join(root, check[2]!)), `${name}: ${check}`).resolves.toBeDefined();
    }
  });

  it('pins every other image by version', () => {
    for (const [name, service] of Object.entries(services).filter(([, s]) => !isGateway(s))) {
      expect(service.image, name).toMatch(/^[\w./-]+:(\d+\.\d+(\.\d+)?(-[\w.-]+)?|RELEASE\.[\dT-]+Z)$/);
    }
  });

  it('sets only variables that the process in the container reads', () => {
    const gatewayKeys = new Set(Object.keys(envSchema.shape));
    for (const [name, service] of Object.entries(services)) {
      const keys = Object.keys(service.environment ?? {});
      if (isGateway(service)) {
        expect(keys.filter((k) => !gatewayKeys.has(k)), `${name} sets variables the gateway does not read`).toEqual([]);
      } else {
        const documented = IMAGE_VARIABLES[service.image.split(':')[0]!];
        expect(documented, `${name}: which variables does ${service.image} read?`).toBeDefined();
        expect(keys.filter((k) => !documented!.test(k)), `${name} sets variables ${service.image} does not document`).toEqual([]);
      }
    }
  });

  it('gives every long-running service a restart policy and a health check; one-shot jobs restart never', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(['unless-stopped', 'no'], name).toContain(service.restart);
      if (service.restart === 'no') expect(service.healthcheck, `${name} is a one-shot job`).toBeUndefined();
      else expect(service.healthcheck?.test.length, `${name} has no health check`).toBeGreaterThan(0);
    }
  });

  it('waits only on what can report: healthy needs a health check, completed needs a one-shot job', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const target = services[dependency];
        expect(target, `${name} depends on unknown ${dependency}`).toBeDefined();
        if (condition === 'service_healthy') expect(target!.healthcheck, `${name} waits for ${dependency} to be healthy`).toBeDefined();
        else if (condition === 'service_completed_successfully') expect(target!.restart, `${name} waits for ${dependency} to complete`).toBe('no');
        else throw new Error(`${name} waits on ${dependency} with condition ${condition}, which reports nothing`);
        // A service outside a profile cannot wait on one that only runs inside it.
        if (target!.profiles) expect(service.profiles, `${name} depends on ${dependency} of profile ${target!.profiles}`).toEqual(target!.profiles);
      }
    }
  });

  it("checks the worker's health on the port its METRICS_PORT opens", () => {
    const worker = services.worker!;
    const port = Number(worker.environment?.METRICS_PORT ?? loadConfig({}, '/nonexistent/.env').METRICS_PORT);
    expect(port).toBeGreaterThan(0);
    expect(worker.healthcheck!.test).toContain(`http://127.0.0.1:${port}/readyz`);
  });

  it("gives the API and the worker longer to stop than their own drain", () => {
    // SHUTDOWN_DRAIN_MS: the gateway's own graceful shutdown.
    const drainMs = loadConfig({}, '/nonexistent/.env').SHUTDOWN_DRAIN_MS;
    for (const name of ['api', 'worker']) {
      const grace = /^(\d+)s$/.exec(services[name]!.stop_grace_period ?? '');
      expect(grace, `${name}: stop_grace_period in seconds`).not.toBeNull();
      expect(Number(grace![1]) * 1000, name).toBeGreaterThan(drainMs);
    }
  });

  it('publishes ports on the loopback interface only', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const port of service.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('gives no secret a default: each comes from .env, which compose refuses to run without', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN|ACCESS_KEY|^MC_HOST_/.test(key)) expect(value, `${name}: ${key}`).not.toMatch(/\$\{\w+:-|^[^$]*$/);
      }
      const url = service.environment?.DATABASE_URL;
      if (url) expect(url, `${name}: DATABASE_URL`).toMatch(/:\$\{POSTGRES_PASSWORD:\?[^}]+\}@/);
    }
  });

  it('takes only variables that .env.example documents', async () => {
    const documented = new Set([...(await read('.env.example')).matchAll(/^(\w+)=/gm)].map((m) => m[1]));
    const used = new Set([...text.matchAll(/\$\{(\w+)/g)].map((m) => m[1]!));
    expect([...used].filter((v) => !documented.has(v))).toEqual([]);
  });

  it('runs the simulator profile end to end: links the worker can fetch, and a channel pointing at them', () => {
    const { simulator, 'simulator-channel': channel } = services;
    expect(simulator!.profiles).toEqual(['simulator']);
    const address = `http://simulator:${simulator!.environment!.SIM_PORT}`;
    expect(simulator!.environment!.SIM_PUBLIC_URL).toBe(address);
    expect(channel!.environment!.SIM_PUBLIC_URL).toBe(address);
    expect(channel!.command).toEqual(['node', 'src/entrypoints/simulator-channel.ts']);
    expect(channel!.depends_on?.simulator?.condition).toBe('service_healthy');
  });
});

describe('Dockerfile', () => {
  let froms: From[];
  let context: string;
  let ignored: (file: string) => boolean;
  let dockerfile: ReturnType<typeof DockerfileParser.parse>;

  beforeAll(async () => {
    dockerfile = DockerfileParser.parse(await read('Dockerfile'));
    froms = dockerfile.getFROMs();
    const rules = dockerignore({ ignorecase: false }).add(await read('.dockerignore'));
    ignored = (file) => rules.ignores(file);
    context = await mkdtemp(path.join(tmpdir(), 'vgw-docker-context-'));
  });
  afterAll(() => rm(context, { recursive: true, force: true }));

  /** Which stage (0: the first FROM) an instruction belongs to. */
  const stageOf = (instruction: Instruction) =>
    froms.findLastIndex((from) => from.getRange().start.line <= instruction.getRange().start.line);

  /** The build context Docker would send: the checkout, less what .dockerignore excludes. */
  async function copyContext(to: string): Promise<string[]> {
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
        const rel = dir ? `${dir}/${entry.name}` : entry.name;
        if (ignored(rel)) continue;
        if (entry.isDirectory()) await walk(rel);
        else {
          await mkdir(path.dirname(path.join(to, rel)), { recursive: true });
          await cp(path.join(root, rel), path.join(to, rel));
          files.push(rel);
        }
      }
    };
    await walk('');
    return files;
  }

  it('pins its base images by version', () => {
    const stages = new Set(froms.map((f) => f.getBuildStage()).filter(Boolean));
    for (const from of froms.filter((f) => !stages.has(f.getImageName()))) {
      expect(from.getImage(), 'FROM image:tag').toMatch(/^node:\d+\.\d+\.\d+-[\w-]+$/);
    }
  });

  it('keeps secrets, local data, dependencies and history out of the build context', () => {
    for (const file of ['.env', '.git/HEAD', 'node_modules/fastify/package.json', 'data/storage/x.mp4', 'src/generated/prisma/client.ts', 'test/config.test.ts']) {
      expect(ignored(file), file).toBe(true);
    }
  });

  it('copies only sources that are in the build context, and runs an entry point that is', async () => {
    const files = await copyContext(context);
    const inContext = (source: string) => files.some((f) => f === source || f.startsWith(`${source}/`));
    for (const copy of dockerfile.getCOPYs().filter((c) => !c.getFromFlag())) {
      const args = copy.getArguments().map((a) => a.getValue());
      for (const source of args.slice(0, -1)) expect(inContext(source.replace(/\/$/, '')), `COPY ${source}`).toBe(true);
    }
    const [cmd] = dockerfile.getCMDs();
    const [, entry] = cmd!.getJSONStrings().map((s) => s.getJSONValue());
    expect(files).toContain(entry);
  });

  it('builds: the client generated from the context alone, production dependencies installed, every entry point loads', async () => {
    // The build stage: its `npm ci` installs the lockfile's packages (here: the checkout's, the same
    // lockfile) and runs the postinstall, which generates the client from the copied files alone.
    const build = path.join(context, 'build');
    const buildFiles = dockerfile.getCOPYs().filter((c) => !c.getFromFlag() && stageOf(c) === 0).flatMap((c) => c.getArguments().slice(0, -1).map((a) => a.getValue()));
    for (const source of buildFiles) await cp(path.join(context, source), path.join(build, source), { recursive: true });
    await symlink(path.join(root, 'node_modules'), path.join(build, 'node_modules'));
    await promisify(execFile)(process.execPath, ['scripts/prisma-generate.mjs'], { cwd: build, env: { PATH: process.env.PATH } });

    // The final stage's own `npm ci`, as written, from the npm cache when it has the packages.
    const run = path.join(context, 'run');
    const npmCi = dockerfile.getInstructions()
      .filter((i) => i.getKeyword() === 'RUN' && stageOf(i) === froms.length - 1)
      .flatMap((i) => (i.getArgumentsContent() ?? '').split('&&').map((c) => c.trim()))
      .find((c) => c.startsWith('npm ci'));
    expect(npmCi).toMatch(/--omit=dev/);
    await mkdir(run);
    for (const file of ['package.json', 'package-lock.json']) await cp(path.join(context, file), path.join(run, file));
    const [npm, ...args] = npmCi!.split(/\s+/);
    await promisify(execFile)(npm!, [...args, '--prefer-offline'], { cwd: run, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    await cp(path.join(context, 'src'), path.join(run, 'src'), { recursive: true });
    await cp(path.join(build, 'src/generated'), path.join(run, 'src/generated'), { recursive: true });

    // Everything the processes import resolves with production dependencies only.
    const modules = ['src/app.ts', 'src/infra.ts', 'src/worker/start-worker.ts', 'src/worker/ops-server.ts', 'src/simulator/app.ts', 'src/db/prepare-database.ts'];
    const script = `for (const m of ${JSON.stringify(modules)}) await import('./' + m);`;
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: run, env: { PATH: process.env.PATH, NODE_ENV: 'production' } });
  }, 120_000);
});
