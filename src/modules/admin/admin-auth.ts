import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Operator routes take `Authorization: Bearer <ADMIN_TOKEN>` and refuse everything without one. */
export function makeAdminAuth(adminToken: string) {
  const expected = digest(adminToken);
  return async function adminAuth(request: FastifyRequest): Promise<void> {
    if (!adminToken) throw new AppError('admin_disabled', 'the admin API is disabled: set ADMIN_TOKEN to enable it');
    const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    // Comparing digests keeps the comparison constant-time whatever the token's length.
    if (!token || !timingSafeEqual(digest(token), expected)) {
      throw new AppError('admin_unauthorized', 'missing or wrong admin token: send "Authorization: Bearer <ADMIN_TOKEN>"');
    }
  };
}
