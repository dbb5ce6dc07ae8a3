import type { FastifyRequest } from 'fastify';
import { bearerToken } from '../../http/bearer-token.ts';
import { AppError } from '../../lib/errors.ts';
import { sha256Hex } from '../../lib/ids.ts';
import type { RpmLimiter } from '../limits/rpm-limiter.ts';
import type { ConsoleSessions } from './console-sessions.service.ts';
import type { KeyCache } from './key-cache.ts';
import type { KeyIdentity } from './key-identity.ts';
import type { LastUsedTracker } from './last-used.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key behind the request; set by the authenticate hook on client routes. */
    auth: KeyIdentity;
  }
}

/** The key's identity if it may be used now; otherwise the 401 that says why not. */
export function checkedIdentity(identity: KeyIdentity | null): KeyIdentity {
  if (!identity) throw new AppError('invalid_api_key', 'invalid API key');
  if (!identity.keyEnabled) throw new AppError('invalid_api_key', 'this API key has been disabled');
  if (identity.expiresAt !== null && identity.expiresAt <= Date.now()) {
    throw new AppError('invalid_api_key', `this API key expired at ${new Date(identity.expiresAt).toISOString()}`);
  }
  if (!identity.userEnabled) throw new AppError('invalid_api_key', 'the account that owns this API key is disabled');
  return identity;
}

/**
 * Client routes take the API key as a Bearer token or, from the web console, its session cookie
 * (which authenticates as the key it was opened with; see console-sessions.service.ts).
 */
export function makeAuthenticate(cache: KeyCache, lastUsed: LastUsedTracker, rpm: RpmLimiter, sessions?: ConsoleSessions) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const token = bearerToken(request.headers.authorization);
    let identity: KeyIdentity;
    if (token) identity = checkedIdentity(await cache.get(sha256Hex(token)));
    else if (sessions?.cookieOf(request)) identity = await sessions.authenticate(request);
    else throw new AppError('invalid_api_key', 'missing API key: send the header "Authorization: Bearer sk-..."');
    // The key's own limits hold however it was presented, Bearer token or console session.
    // request.ip is the connection's address, or X-Forwarded-For's behind a TRUSTED_PROXIES proxy.
    if (!identity.allowsIp(request.ip)) {
      throw new AppError('ip_not_allowed', `this API key may not be used from ${request.ip}; its allowed_ips are ${identity.allowedIps.join(', ')}`);
    }
    if (identity.rpmLimit !== null) {
      const waitS = await rpm.admit(identity.keyId, identity.rpmLimit);
      if (waitS !== null) {
        throw new AppError('rate_limited', `this API key may make ${identity.rpmLimit} requests per minute (rpm_limit); retry in ${waitS} s`, null, waitS);
      }
    }
    request.auth = identity;
    lastUsed.touch(identity.keyId);
  };
}
