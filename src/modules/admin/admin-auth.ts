// Who is calling /admin: the bootstrap ADMIN_TOKEN (scope write), or a token made with
// POST /admin/tokens (scope read or write, stored as a SHA-256 hash). A read token may only GET.
// Failed attempts are counted per client address in Redis, shared by every instance; past the
// limit the address gets 429 until its minute is over, right token or not, so guessing is slow.
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { RedisClient } from '../../lib/redis.ts';
import type { Db } from '../../db/database.ts';
import { bearerToken, secretMatcher } from '../../http/bearer-token.ts';
import { AppError } from '../../lib/errors.ts';
import { sha256Hex } from '../../lib/ids.ts';
import { type AdminScope, useAdminToken } from './admin-tokens.repository.ts';

export interface AdminActor {
  /** null for the bootstrap ADMIN_TOKEN. */
  tokenId: number | null;
  name: string;
  scope: AdminScope;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin token behind the request; set on /admin routes. */
    admin: AdminActor;
  }
}

export const BOOTSTRAP_ACTOR: AdminActor = { tokenId: null, name: 'bootstrap (ADMIN_TOKEN)', scope: 'write' };

const WINDOW_S = 60;
const READS = new Set(['GET', 'HEAD']);

export interface AdminAuthOptions {
  db: Db;
  redis: RedisClient;
  redisPrefix: string;
  adminToken: string;
  failuresPerMinute: number;
  log: FastifyBaseLogger;
}

export function makeAdminAuth(options: AdminAuthOptions) {
  const { db, redis, adminToken, failuresPerMinute, log } = options;
  const isBootstrap = secretMatcher(adminToken);
  const failureKey = (ip: string) => `${options.redisPrefix}:admin-auth-failures:${ip}`;

  // Redis down: authentication still works, only the slowing down of guesses is off (and logged).
  async function refusedFor(ip: string): Promise<number | null> {
    try {
      const [count, ttl] = await redis.multi().get(failureKey(ip)).ttl(failureKey(ip)).exec().then((r) => (r ?? []).map(([, v]) => v));
      return Number(count ?? 0) >= failuresPerMinute ? Math.max(1, Number(ttl)) : null;
    } catch (err) {
      log.warn({ err }, 'cannot count failed admin authentications (Redis unreachable); not slowing them down meanwhile');
      return null;
    }
  }

  async function recordFailure(ip: string): Promise<void> {
    await redis
      .multi()
      .incr(failureKey(ip))
      .expire(failureKey(ip), WINDOW_S, 'NX')
      .exec()
      .catch(() => {});
  }

  async function identify(token: string): Promise<AdminActor | null> {
    if (isBootstrap(token)) return BOOTSTRAP_ACTOR;
    const row = await useAdminToken(db, sha256Hex(token));
    return row ? { tokenId: row.id, name: row.name, scope: row.scope } : null;
  }

  return async function adminAuth(request: FastifyRequest): Promise<void> {
    if (!adminToken) throw new AppError('admin_disabled', 'the admin API is disabled: set ADMIN_TOKEN to enable it');
    const waitS = await refusedFor(request.ip);
    if (waitS !== null) {
      throw new AppError('rate_limited', `too many failed admin authentications from ${request.ip}; retry in ${waitS} s`, null, waitS);
    }
    const token = bearerToken(request.headers.authorization);
    const actor = token ? await identify(token) : null;
    if (!actor) {
      await recordFailure(request.ip);
      throw new AppError('admin_unauthorized', 'missing or wrong admin token: send "Authorization: Bearer <ADMIN_TOKEN>" or a token from POST /admin/tokens');
    }
    if (actor.scope === 'read' && !READS.has(request.method)) {
      throw new AppError('admin_read_only', `this admin token (${actor.name}) may only read; changes need a token with scope write`);
    }
    request.admin = actor;
  };
}
