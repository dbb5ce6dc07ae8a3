// Console sessions: rows keyed by the SHA-256 of the cookie's token (the token itself is never
// stored); and the one-time codes an operator exchanges for a session as a key, keyed the same way.
import { sql } from 'kysely';
import type { Db, Queryable } from '../../db/database.ts';
import { prepare } from '../../db/prepared.ts';

export interface StoredSession {
  keyId: number;
  /** The API key's own hash: the session authenticates as that key, through the key cache. */
  keyHash: string;
  expiresAt: Date;
  /** The operator who opened it for the key (a console code), or null for a key sign-in. */
  openedBy: string | null;
}

/** Who opened a session on a key's behalf: the operator's name, and admin token id (null: bootstrap). */
export interface Opener {
  openedBy: string;
  adminTokenId: number | null;
}

// Read on every cookie-authenticated request.
const liveSession = prepare('console-session', (p: { tokenHash: string }, qb) =>
  qb
    .selectFrom('consoleSessions as s')
    .innerJoin('apiKeys as k', 'k.id', 's.keyId')
    .select(['s.keyId', 'k.keyHash', 's.expiresAt', 's.openedBy'])
    .where('s.tokenHash', '=', p.tokenHash)
    .where('s.expiresAt', '>', sql<Date>`now()`),
);

export async function findLiveSession(db: Db, tokenHash: string): Promise<StoredSession | undefined> {
  return liveSession.first(db, { tokenHash });
}

/** Stores a new session for `ttlS` seconds, and deletes sessions that have expired (anyone's). */
export async function createSession(
  db: Queryable,
  session: { tokenHash: string; keyId: number; ttlS: number; opener?: Opener | null },
): Promise<Date> {
  await db.deleteFrom('consoleSessions').where('expiresAt', '<=', sql<Date>`now()`).execute();
  const row = await db
    .insertInto('consoleSessions')
    .values({
      tokenHash: session.tokenHash,
      keyId: session.keyId,
      expiresAt: sql<Date>`now() + make_interval(secs => ${session.ttlS})`,
      openedBy: session.opener?.openedBy ?? null,
      adminTokenId: session.opener?.adminTokenId ?? null,
    })
    .returning('expiresAt')
    .executeTakeFirstOrThrow();
  return row.expiresAt;
}

export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.deleteFrom('consoleSessions').where('tokenHash', '=', tokenHash).execute();
}

/** Stores a one-time code for `ttlS` seconds, and deletes codes that have expired (anyone's). */
export async function createCode(db: Queryable, code: { codeHash: string; keyId: number; ttlS: number; opener: Opener }): Promise<Date> {
  await db.deleteFrom('consoleSessionCodes').where('expiresAt', '<=', sql<Date>`now()`).execute();
  const row = await db
    .insertInto('consoleSessionCodes')
    .values({
      codeHash: code.codeHash,
      keyId: code.keyId,
      openedBy: code.opener.openedBy,
      adminTokenId: code.opener.adminTokenId,
      expiresAt: sql<Date>`now() + make_interval(secs => ${code.ttlS})`,
    })
    .returning('expiresAt')
    .executeTakeFirstOrThrow();
  return row.expiresAt;
}

/**
 * Takes a live code: deletes it and says whose it was, or undefined when it is unknown, expired or
 * taken. Two exchanges of the same code at once: the second DELETE waits for the first to commit,
 * then finds no row, so exactly one of them gets it.
 */
export async function takeCode(db: Queryable, codeHash: string): Promise<({ keyId: number; keyHash: string } & Opener) | undefined> {
  return db
    .with('taken', (qb) =>
      qb
        .deleteFrom('consoleSessionCodes')
        .where('codeHash', '=', codeHash)
        .where('expiresAt', '>', sql<Date>`now()`)
        .returning(['keyId', 'openedBy', 'adminTokenId']),
    )
    .selectFrom('taken as c')
    .innerJoin('apiKeys as k', 'k.id', 'c.keyId')
    .select(['c.keyId', 'k.keyHash', 'c.openedBy', 'c.adminTokenId'])
    .executeTakeFirst();
}
