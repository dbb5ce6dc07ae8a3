// One pg pool per process, and every query goes through Kysely on it, typed from
// prisma/schema.prisma (docs/data-access.md says why). Hot-path queries are prepared once
// (prepared.ts) and sent as named statements by the pool's connections.
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { DB } from '../generated/kysely/database.ts';
import { camelCase, statementNames } from './prepared.ts';

export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;
/** A query runs the same on the pool or inside a transaction. */
export type Queryable = Db | Tx;

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  /** Any one statement running longer is cancelled by PostgreSQL. */
  statementTimeoutMs: number;
  /** Opening a connection, or waiting for a free one from the pool, fails after this. */
  connectTimeoutMs: number;
  /**
   * false: commits do not wait for the disk, so a crash of the database may lose the last moments
   * of writes. Only for writes the gateway repeats anyway (see the worker's progressDb).
   */
  synchronousCommit?: boolean;
}

export interface Database {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

const INT8_OID = 20;

// Quota columns are int8: they arrive as bigint, never as a lossy number or a string.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => BigInt(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Sends the SQL of prepared queries as named statements, so each connection plans it once. */
class PreparingClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // A connection cut while checked out of the pool (a database restart, a terminated backend)
    // is emitted as 'error', and the pool listens only while the client is idle: unheard, it
    // ended the process. The query or transaction using it fails with the same error, and the
    // pool discards the client when it comes back.
    this.on('error', () => {});
  }

  // pg's query() has many overloads; only a bare SQL string that a prepared query registered is rewritten.
  override query(...args: unknown[]): never {
    const [text, values] = args;
    const name = typeof text === 'string' ? statementNames.get(text) : undefined;
    const call = super.query as (...a: unknown[]) => never;
    return name ? call.call(this, { name, text, values }) : call.apply(this, args);
  }
}

export function openDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    Client: PreparingClient,
    types,
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    // A transaction left open by a stuck process must not hold row locks (a user's balance) for long.
    idle_in_transaction_session_timeout: options.statementTimeoutMs,
    ...(options.synchronousCommit === false ? { options: '-c synchronous_commit=off' } : {}),
  });
  // A connection that dies (database restart, a terminated backend) must not take the process down
  // with it: idle ones are the pool's, which replaces them on the next checkout; one checked out
  // between two statements (a transaction awaiting its caller) emits its error on the client, where
  // nothing listens, and the next statement on it fails, which its caller handles.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), plugins: [camelCase()] });
  return {
    db,
    pool,
    async close() {
      await db.destroy();
    },
  };
}
