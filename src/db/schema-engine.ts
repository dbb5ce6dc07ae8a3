// Prisma's migration engine, run as WebAssembly through the pg driver adapter. The Prisma CLI
// downloads a native schema engine at start-up, which machines without internet access cannot do;
// the WASM build applies and records migrations exactly as `prisma migrate deploy` does, so either
// tool can be used on the same database.
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory, ColumnTypeEnum, type SqlQueryable } from '@prisma/driver-adapter-utils';
import * as engineModule from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const schemaPath = path.join(projectRoot, 'prisma', 'schema.prisma');
export const migrationsDir = path.join(projectRoot, 'prisma', 'migrations');

const NO_FILTER = { externalTables: [], externalEnums: [] };

// Node provides WebAssembly, but @types/node does not declare it (it lives in TypeScript's DOM lib).
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

let wasmReady: Promise<void> | undefined;

// Node cannot import the package's .wasm as an ES module, so it is instantiated by hand
// with the JS glue module as its import object.
// The engine reports a Rust panic's message through this global, then traps with a bare
// "unreachable"; the message is the only clue to what went wrong, so it is always printed.
let lastPanic = '';
(globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY = {
  set_message: (message: string) => {
    lastPanic = message;
    console.error(`schema engine panic: ${message}`);
  },
};

function loadWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const gluePath = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(gluePath.replace(/\.js$/, '.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': engineModule });
    engineModule.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return wasmReady;
}

// The engine reads columns of PostgreSQL's internal type "char" (OID 18), which the adapter
// refuses to deserialize; they are plain text as far as the engine is concerned.
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

function retypeCharColumns<T>(result: T): T {
  for (const res of Array.isArray(result) ? result : [result]) {
    for (const field of (res as pg.QueryResult | undefined)?.fields ?? []) {
      if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    }
  }
  return result;
}

class CharAsTextClient extends pg.Client {
  // pg.Client#query has promise and callback forms; both must see the retyped fields.
  override query(...args: unknown[]): never {
    const last = args.at(-1);
    if (typeof last === 'function') {
      args[args.length - 1] = (err: Error | null, res: unknown) => last(err, err ? res : retypeCharColumns(res));
      return (super.query as (...a: unknown[]) => never)(...args);
    }
    const ret = (super.query as (...a: unknown[]) => unknown)(...args);
    return (ret instanceof Promise ? ret.then(retypeCharColumns) : ret) as never;
  }
}

// ...except one: the engine reads the constraint type of CHECK and exclusion constraints (the
// migrations add CHECK constraints on money columns) as a single character, and panics on text.
// The adapter has no PostgreSQL type it reports as a character column, so that column of that
// query is marked as one in the adapter's answer.
const CHARACTER_COLUMNS = new Set(['constraint_type']);

type Queryable = Pick<SqlQueryable, 'queryRaw'>;

function markCharacterColumns<T extends Queryable>(queryable: T): T {
  const queryRaw = queryable.queryRaw.bind(queryable);
  queryable.queryRaw = async (query) => {
    const result = await queryRaw(query);
    result.columnTypes = result.columnTypes.map((type, i) =>
      type === ColumnTypeEnum.Text && CHARACTER_COLUMNS.has(result.columnNames[i] ?? '') ? ColumnTypeEnum.Character : type,
    );
    return result;
  };
  return queryable;
}

class SchemaEnginePg extends PrismaPg {
  override async connect() {
    return markCharacterColumns(await super.connect());
  }

  override async connectToShadowDb() {
    return markCharacterColumns(await super.connectToShadowDb());
  }
}

// The adapter derives the shadow database's settings from this object, so it must be discrete
// fields: a connection string would win over the shadow database's name.
function poolConfig(databaseUrl: string): pg.PoolConfig {
  const url = new URL(databaseUrl);
  return {
    host: decodeURIComponent(url.hostname) || url.searchParams.get('host') || undefined,
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username) || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database: decodeURIComponent(url.pathname.slice(1)) || undefined,
    ssl: ['require', 'verify-ca', 'verify-full'].includes(url.searchParams.get('sslmode') ?? '') || undefined,
    Client: CharAsTextClient,
    idleTimeoutMillis: 1,
    max: 2,
  };
}

/** Runs an engine call, turning a panic into an error that carries the panic's message. */
async function withEngine<T>(databaseUrl: string, run: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const engine = await openSchemaEngine(databaseUrl);
  try {
    return await run(engine);
  } catch (err) {
    if (lastPanic) throw new Error(`schema engine panicked: ${lastPanic}`, { cause: err });
    throw err;
  } finally {
    lastPanic = '';
    engine.free();
  }
}

export async function openSchemaEngine(databaseUrl: string): Promise<SchemaEngine> {
  await loadWasm();
  const schema = await readFile(schemaPath, 'utf8');
  const adapter = bindMigrationAwareSqlAdapterFactory(new SchemaEnginePg(poolConfig(databaseUrl)));
  return engineModule.SchemaEngine.new({ datamodels: [[schemaPath, schema]] }, () => {}, adapter);
}

export async function readMigrations(): Promise<MigrationList> {
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const lockfile = await readFile(path.join(migrationsDir, 'migration_lock.toml'), 'utf8').catch(() => null);
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: lockfile },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      dirs.map(async (dir) => ({
        path: dir,
        migrationFile: {
          path: 'migration.sql',
          content: await readFile(path.join(migrationsDir, dir, 'migration.sql'), 'utf8').then(
            (value) => ({ tag: 'ok' as const, value }),
            (err: Error) => ({ tag: 'error' as const, value: err.message }),
          ),
        },
      })),
    ),
  };
}

/** Applies every migration not yet recorded in `_prisma_migrations`; returns their names. */
export async function applyMigrations(databaseUrl: string): Promise<string[]> {
  const migrationsList = await readMigrations();
  return withEngine(databaseUrl, async (engine) => {
    const out = await engine.applyMigrations({ migrationsList, filters: NO_FILTER });
    return out.appliedMigrationNames;
  });
}

/**
 * The SQL that would bring a database built from the migrations folder to `schema.prisma`;
 * empty when the two agree. Replays the migrations on a temporary shadow database.
 */
export async function diffMigrationsToSchema(databaseUrl: string): Promise<string> {
  const migrations = await readMigrations();
  const schema = await readFile(schemaPath, 'utf8');
  const result = await withEngine(databaseUrl, (engine) =>
    engine.diff({
      from: { tag: 'migrations', ...migrations },
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
      script: true,
      exitCode: null,
      filters: NO_FILTER,
    }),
  );
  return isEmptyScript(result.stdout ?? '') ? '' : (result.stdout ?? '');
}

function isEmptyScript(sql: string): boolean {
  return sql.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('--'));
}
