// What DashScope checks before it reads a request body: the API key, the async header on submits,
// and the per-key rate limits. Run as onRequest hooks so a bad key is refused even when the body
// would not parse.
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { RateLimit } from './rate-limiter.ts';
import type { Storm } from './storm.ts';
import { SimError } from './upstream-errors.ts';

export interface GuardOptions {
  apiKey: string;
  submits: RateLimit;
  queries: RateLimit;
  storm: Storm;
}

export interface Guards {
  submit: onRequestAsyncHookHandler;
  query: onRequestAsyncHookHandler;
}

export function makeGuards({ apiKey, submits, queries, storm }: GuardOptions): Guards {
  const authenticate = (request: FastifyRequest): string => {
    const key = bearerToken(request.headers.authorization);
    if (!key) throw new SimError(401, 'InvalidApiKey', 'No API-key provided.');
    if (key !== apiKey) throw new SimError(401, 'InvalidApiKey', 'Invalid API-key provided.');
    return key;
  };
  const throttle = (limit: RateLimit, key: string) => {
    if (!limit.admit(key, Date.now())) throw new SimError(429, 'Throttling.RateQuota');
  };
  return {
    submit: async (request) => {
      const key = authenticate(request);
      if (String(request.headers['x-dashscope-async']).toLowerCase() !== 'enable') {
        throw new SimError(403, 'AccessDenied', 'current user api does not support synchronous calls');
      }
      storm.check();
      throttle(submits, key);
    },
    query: async (request) => {
      const key = authenticate(request);
      storm.check();
      throttle(queries, key);
    },
  };
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}
