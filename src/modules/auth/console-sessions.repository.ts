// Console sessions: rows keyed by the SHA-256 of the cookie's token (the token itself is never stored).
import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import { prepare } from '../../db/prepared.ts';

export interface StoredSession {
  keyId: number;
  /** The API key's own hash: the session authenticates as that key, through the key cache. */
  keyHash: string;
  expiresAt: Date;
}

// Read on every cookie-authenticated request.
const liveSession = prepare('console-session', (p: { tokenHash: string }, qb) =>
  qb
    .selectFrom('consoleSessions as s')
    .innerJoin('apiKeys as k', 'k.id', 's.keyId')
    .select(['s.keyId', 'k.keyHash', 's.expiresAt'])
    .where('s.tokenHash', '=', p.tokenHash)
    .where('s.expiresAt', '>', sql<Date>`now()`),
);

export async function findLiveSession(db: Db, tokenHash: string): Promise<StoredSession | undefined> {
  return liveSession.first(db, { tokenHash });
}

/** Stores a new session for `ttlS` seconds, and deletes sessions that have expired (anyone's). */
export async function createSession(db: Db, session: { tokenHash: string; keyId: number; ttlS: number }): Promise<Date> {
  await db.deleteFrom('consoleSessions').where('expiresAt', '<=', sql<Date>`now()`).execute();
  const row = await db
    .insertInto('consoleSessions')
    .values({ tokenHash: session.tokenHash, keyId: session.keyId, expiresAt: sql<Date>`now() + make_interval(secs => ${session.ttlS})` })
    .returning('expiresAt')
    .executeTakeFirstOrThrow();
  return row.expiresAt;
}

export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.deleteFrom('consoleSessions').where('tokenHash', '=', tokenHash).execute();
}
