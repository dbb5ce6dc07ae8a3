import type { FastifyRequest } from 'fastify';
import { bearerMatcher } from '../../http/bearer-token.ts';
import { AppError } from '../../lib/errors.ts';

/** Operator routes take `Authorization: Bearer <ADMIN_TOKEN>` and refuse everything without one. */
export function makeAdminAuth(adminToken: string) {
  const matches = bearerMatcher(adminToken);
  return async function adminAuth(request: FastifyRequest): Promise<void> {
    if (!adminToken) throw new AppError('admin_disabled', 'the admin API is disabled: set ADMIN_TOKEN to enable it');
    if (!matches(request.headers.authorization)) {
      throw new AppError('admin_unauthorized', 'missing or wrong admin token: send "Authorization: Bearer <ADMIN_TOKEN>"');
    }
  };
}
