// Queries on hot paths (a submit, a task query, every worker step) are built with Kysely once, when
// their module loads, and sent as named prepared statements: PostgreSQL plans each once per
// connection, and no request pays for building or compiling SQL. The query is typed against the
// schema like any other; its inputs are written as `p.name` and bound on every run.
import {
  CamelCasePlugin,
  type Compilable,
  type CompiledQuery,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';
import type { DB } from '../generated/kysely/database.ts';

/** Row keys come back camelCased; the JSON inside jsonb columns is left exactly as stored. */
export const camelCase = (): CamelCasePlugin => new CamelCasePlugin({ maintainNestedObjectKeys: true });

/** Builds and compiles queries without a connection. */
export const queryBuilder = new Kysely<DB>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
  plugins: [camelCase()],
});

/** SQL text → statement name, for the pool's connections (database.ts). */
export const statementNames = new Map<string, string>();

class Input {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
}

/** Anything that runs a compiled query: the Kysely instance or a transaction. */
export interface QueryRunner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<{ rows: R[]; numAffectedRows?: bigint }>;
}

export interface PreparedQuery<P, R> {
  readonly name: string;
  readonly sql: string;
  /** The rows the statement returns. */
  rows(db: QueryRunner, params: P): Promise<R[]>;
  /** The first row, or undefined. */
  first(db: QueryRunner, params: P): Promise<R | undefined>;
  /** How many rows an UPDATE, INSERT or DELETE changed. */
  affected(db: QueryRunner, params: P): Promise<number>;
}

/**
 * A query compiled once. `build` receives stand-ins for its inputs: use them where the query
 * takes a value (`where('id', '=', p.id)`, `.limit(p.limit)`, `sql\`${p.amount}\``), never in
 * JavaScript logic, and compare with `= any(p.list)` rather than `in`, which would expand a list.
 */
export function prepare<P extends object, R>(name: string, build: (p: P, qb: Kysely<DB>) => Compilable<R>): PreparedQuery<P, R> {
  const inputs = new Proxy({}, { get: (_target, key) => new Input(String(key)) }) as P;
  const compiled = build(inputs, queryBuilder).compile();
  if (statementNames.has(compiled.sql) && statementNames.get(compiled.sql) !== name) {
    throw new Error(`prepared query ${name} repeats ${statementNames.get(compiled.sql)}`);
  }
  statementNames.set(compiled.sql, name);
  const slots = compiled.parameters.map((value) => (value instanceof Input ? value.name : null));
  const constants = compiled.parameters;

  const bind = (params: P): CompiledQuery<R> => {
    const values = slots.map((slot, i) => (slot === null ? constants[i] : (params as Record<string, unknown>)[slot]));
    return { ...compiled, parameters: values };
  };
  return {
    name,
    sql: compiled.sql,
    async rows(db, params) {
      return (await db.executeQuery(bind(params))).rows;
    },
    async first(db, params) {
      return (await db.executeQuery(bind(params))).rows[0];
    },
    async affected(db, params) {
      return Number((await db.executeQuery(bind(params))).numAffectedRows ?? 0n);
    },
  };
}
