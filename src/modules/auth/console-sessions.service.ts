// The web console's customer sessions: an API key exchanged once for a random token in an
// HttpOnly, SameSite=Strict cookie, so that the key itself never stays in the browser.
//
// CSRF: SameSite=Strict keeps the cookie off requests started by other sites, but not off those
// of other origins on the same site (another port or subdomain of the same host). So a change
// made with the cookie must also carry the session's CSRF token in a header (which a form or a
// cross-origin page cannot set or read: the synchronizer-token pattern), and must not come with
// an Origin header naming another origin. GETs change nothing and need neither.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/errors.ts';
import { sha256Hex } from '../../lib/ids.ts';
import { checkedIdentity } from './authenticate.ts';
import { createSession, deleteSession, findLiveSession } from './console-sessions.repository.ts';
import type { KeyCache } from './key-cache.ts';
import type { KeyIdentity } from './key-identity.ts';

export const SESSION_COOKIE = 'vgw_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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
  async function current(request: FastifyRequest): Promise<{ token: string; identity: KeyIdentity; expiresAt: Date }> {
    const token = cookieOf(request);
    if (!token) throw new AppError('invalid_api_key', 'no console session: sign in with your API key (POST /v1/console/session)');
    const session = await findLiveSession(db, sha256Hex(token));
    if (!session) throw expired();
    return { token, identity: checkedIdentity(await keys.get(session.keyHash)), expiresAt: session.expiresAt };
  }

  return {
    ttlS,
    cookieOf,
    csrfTokenOf,

    async signIn(request: FastifyRequest, apiKey: string): Promise<OpenedSession> {
      // Nobody else's page may sign this browser in (to an account of their choosing).
      assertSameOrigin(request);
      const identity = checkedIdentity(await keys.get(sha256Hex(apiKey)));
      const token = randomBytes(32).toString('base64url');
      const expiresAt = await createSession(db, { tokenHash: sha256Hex(token), keyId: identity.keyId, ttlS });
      return { token, csrfToken: csrfTokenOf(token), expiresAt, identity };
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
