// `Authorization: Bearer <token>`, read one way for every route family (client keys, admin tokens,
// the metrics token), and secrets compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const digest = (text: string) => createHash('sha256').update(text).digest();

/** The token of an Authorization header, or undefined when it carries none. */
export const bearerToken = (authorization: string | undefined): string | undefined => BEARER.exec(authorization ?? '')?.[1];

/** Whether a token is `secret`; comparing digests keeps it constant-time whatever the token's length. */
export function secretMatcher(secret: string): (token: string) => boolean {
  const expected = digest(secret);
  return (token) => timingSafeEqual(digest(token), expected);
}

/** Whether an Authorization header carries `Bearer <secret>`. */
export function bearerMatcher(secret: string): (authorization: string | undefined) => boolean {
  const matches = secretMatcher(secret);
  return (authorization) => {
    const token = bearerToken(authorization);
    return token !== undefined && matches(token);
  };
}
