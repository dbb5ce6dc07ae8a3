// The web console's customer sessions: an API key exchanged once for a random token in an
// HttpOnly, SameSite=Strict cookie, so that the key itself never stays in the browser. An operator
// acting for a key gets the same session without ever holding the key: the admin API issues a
// one-time code for the key (issueCode, audited there), the console exchanges it (signInWithCode),
// and the session row remembers which operator opened it.
//
// CSRF: SameSite=Strict keeps the cookie off requests started by other sites, but not off those
// of other origins on the same site (another port or subdomain of the same host). So a change
// made with the cookie must also carry the session's CSRF token in a header (which a form or a
// cross-origin page cannot set or read: the synchronizer-token pattern), and must not come with
// an Origin header naming another origin. GETs change nothing and need neither.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Db, Queryable } from '../../db/database.ts';
import { AppError } from '../../lib/errors.ts';
import { sha256Hex } from '../../lib/ids.ts';
import { checkedIdentity } from './authenticate.ts';
import { createCode, createSession, deleteSession, findLiveSession, type Opener, takeCode } from './console-sessions.repository.ts';
import type { KeyCache } from './key-cache.ts';
import type { KeyIdentity } from './key-identity.ts';

export const SESSION_COOKIE = 'vgw_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * A console code is carried from the operator's tab to a new one in the URL's fragment and
 * exchanged at once; a minute covers that, and keeps a code that leaked (a screenshot, a shared
 * screen) useless soon after.
 */
export const CODE_TTL_S = 60;

export interface ConsoleSessionsOptions {
  db: Db;
  keys: KeyCache;
  ttlS: number;
  /** The gateway's public origin (PUBLIC_BASE_URL): changes may come from it or from the request's own host. */
  publicOrigin: string;
}

export interface OpenedSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
  identity: KeyIdentity;
  /** The operator who opened the session for the key, or null when the key itself signed in. */
  openedBy: string | null;
}

export type ConsoleSessions = ReturnType<typeof createConsoleSessions>;

// Derived from the session token, so it needs no storage of its own; a different digest from the
// stored one, so the database row does not reveal it.
const csrfTokenOf = (token: string): string => createHash('sha256').update(`csrf:${token}`).digest('base64url');

const sameText = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

const expired = () => new AppError('invalid_api_key', 'your console session has expired or was signed out: sign in again with your API key');

export function createConsoleSessions({ db, keys, ttlS, publicOrigin }: ConsoleSessionsOptions) {
  const cookieOf = (request: FastifyRequest): string | undefined => request.cookies[SESSION_COOKIE] || undefined;

  function assertSameOrigin(request: FastifyRequest): void {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      // "null" (a sandboxed frame, a file) or garbage: not this gateway.
    }
    if (origin !== publicOrigin && host !== request.headers.host) {
      throw new AppError('csrf_failed', `this change came from another origin (${origin.slice(0, 100)}); only the console itself may make it with the session cookie`);
    }
  }

  /** The session of the request's cookie, or a 401 when it has none or it has ended. */
  async function current(request: FastifyRequest): Promise<{ token: string; identity: KeyIdentity; expiresAt: Date; openedBy: string | null }> {
    const token = cookieOf(request);
    if (!token) throw new AppError('invalid_api_key', 'no console session: sign in with your API key (POST /v1/console/session)');
    const session = await findLiveSession(db, sha256Hex(token));
    if (!session) throw expired();
    return { token, identity: checkedIdentity(await keys.get(session.keyHash)), expiresAt: session.expiresAt, openedBy: session.openedBy };
  }

  const newToken = () => randomBytes(32).toString('base64url');

  return {
    ttlS,
    cookieOf,
    csrfTokenOf,

    async signIn(request: FastifyRequest, apiKey: string): Promise<OpenedSession> {
      // Nobody else's page may sign this browser in (to an account of their choosing).
      assertSameOrigin(request);
      const identity = checkedIdentity(await keys.get(sha256Hex(apiKey)));
      const token = newToken();
      const expiresAt = await createSession(db, { tokenHash: sha256Hex(token), keyId: identity.keyId, ttlS });
      return { token, csrfToken: csrfTokenOf(token), expiresAt, identity, openedBy: null };
    },

    /**
     * A one-time code that opens a session as the key, for the operator `opener`; stored hashed,
     * in the caller's transaction (the admin change that is audited with it).
     */
    async issueCode(tx: Queryable, keyId: number, opener: Opener): Promise<{ code: string; expiresAt: Date }> {
      const code = newToken();
      return { code, expiresAt: await createCode(tx, { codeHash: sha256Hex(code), keyId, ttlS: CODE_TTL_S, opener }) };
    },

    /** Exchanges a console code, once, for a session as its key that remembers the operator. */
    async signInWithCode(request: FastifyRequest, code: string): Promise<OpenedSession> {
      assertSameOrigin(request);
      return db.transaction().execute(async (tx) => {
        const taken = await takeCode(tx, sha256Hex(code));
        if (!taken) {
          throw new AppError('invalid_api_key', 'this console code is unknown, expired or already used: open the playground from the operator console again for a new one');
        }
        // The key may have been disabled since the code was issued: then nothing is opened (and the code stays unused).
        const identity = checkedIdentity(await keys.get(taken.keyHash));
        const token = newToken();
        const expiresAt = await createSession(tx, { tokenHash: sha256Hex(token), keyId: taken.keyId, ttlS, opener: taken });
        return { token, csrfToken: csrfTokenOf(token), expiresAt, identity, openedBy: taken.openedBy };
      });
    },

    current,

    /** The identity behind a cookie-authenticated request; a change must pass the CSRF checks. */
    async authenticate(request: FastifyRequest): Promise<KeyIdentity> {
      const { token, identity } = await current(request);
      if (!SAFE_METHODS.has(request.method)) {
        assertSameOrigin(request);
        const sent = request.headers[CSRF_HEADER];
        if (typeof sent !== 'string' || !sameText(sent, csrfTokenOf(token))) {
          throw new AppError(
            'csrf_failed',
            'this change came with the console session cookie but without its X-CSRF-Token header; send the csrf_token of POST /v1/console/session',
          );
        }
      }
      return identity;
    },

    async signOut(token: string): Promise<void> {
      await deleteSession(db, sha256Hex(token));
    },
  };
}
