// POST/GET/DELETE /v1/console/session: the web console's customer sign-in, its CSRF token after a
// reload, and sign-out.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteError } from '../../http/route-docs.ts';
import { unixSeconds } from '../../lib/time.ts';
import { type ConsoleSessions, SESSION_COOKIE } from './console-sessions.service.ts';

export interface ConsoleSessionRoutesOptions {
  sessions: ConsoleSessions;
  /** Secure cookies when the gateway is reached over https (PUBLIC_BASE_URL). */
  secureCookie: boolean;
}

const tags = ['console session'];

const sessionSchema = z
  .object({
    object: z.literal('console.session'),
    csrf_token: z.string().describe('Send it as the X-CSRF-Token header with every change made with the session cookie'),
    expires_at: z.int().describe('Unix seconds when the session ends'),
    user_id: z.int(),
    key_id: z.int().describe('The API key the session acts as'),
  })
  .meta({ examples: [{ object: 'console.session', csrf_token: 'cE3N1mJ4c2lvbi10b2tlbi1leGFtcGxlLWNzcmY', expires_at: 1764094834, user_id: 42, key_id: 7 }] });

const signInBody = z
  .object({ key: z.string().trim().min(1).max(256).describe('One of your API keys, sk-...; it is not kept in the browser') })
  .meta({ examples: [{ key: 'sk-y2CcRHtrXxvvmCW5ZLJV36VHY4X1VVRWxpG4oJyUcJhJ9UIy' }] });

const NO_SESSION: RouteError = { code: 'invalid_api_key', example: 'no console session: sign in with your API key (POST /v1/console/session)' };
const FOREIGN_ORIGIN: RouteError = {
  code: 'csrf_failed',
  example: 'this change came from another origin (https://evil.example); only the console itself may make it with the session cookie',
};

export async function consoleSessionRoutes(app: FastifyInstance, { sessions, secureCookie }: ConsoleSessionRoutesOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const view = (s: { csrfToken: string; expiresAt: Date; identity: { userId: number; keyId: number } }) => ({
    object: 'console.session' as const,
    csrf_token: s.csrfToken,
    expires_at: unixSeconds(s.expiresAt),
    user_id: s.identity.userId,
    key_id: s.identity.keyId,
  });
  const setCookie = (reply: FastifyReply, value: string, maxAge: number) =>
    reply.setCookie(SESSION_COOKIE, value, { path: '/', httpOnly: true, sameSite: 'strict', secure: secureCookie, maxAge });

  r.post('/v1/console/session', {
    schema: {
      operationId: 'createConsoleSession',
      tags,
      summary: 'Sign in to the web console: exchange an API key for a session cookie',
      description: `Sets the HttpOnly, SameSite=Strict cookie \`${SESSION_COOKIE}\`, valid for CONSOLE_SESSION_TTL_S seconds (default one hour), with which every client route accepts the request as this key's. Refused from a page of another origin.`,
      security: [],
      body: signInBody,
      response: { 201: sessionSchema },
      responseHeaders: { 201: { 'set-cookie': { type: 'string', description: `${SESSION_COOKIE}=...; Path=/; HttpOnly; SameSite=Strict (and Secure over https)` } } },
      errors: [
        { code: 'invalid_request', example: 'body key: Too small: expected string to have >=1 characters' },
        { code: 'invalid_api_key', example: 'invalid API key' },
        FOREIGN_ORIGIN,
        'payload_too_large',
        'unsupported_media_type',
        'unavailable',
      ],
    },
    handler: async (request, reply) => {
      const opened = await sessions.signIn(request, request.body.key);
      setCookie(reply, opened.token, sessions.ttlS);
      return reply.status(201).send(view(opened));
    },
  });

  r.get('/v1/console/session', {
    schema: {
      operationId: 'getConsoleSession',
      tags,
      summary: "This browser's console session and its CSRF token (after a reload)",
      security: [{ consoleSession: [] }],
      response: { 200: sessionSchema },
      errors: [NO_SESSION, 'unavailable'],
    },
    handler: async (request) => {
      const session = await sessions.current(request);
      return view({ ...session, csrfToken: sessions.csrfTokenOf(session.token) });
    },
  });

  r.delete('/v1/console/session', {
    schema: {
      operationId: 'deleteConsoleSession',
      tags,
      summary: 'Sign out of the web console',
      description: 'Ends the session and clears its cookie. Needs the X-CSRF-Token header, as every change made with the cookie.',
      security: [{ consoleSession: [] }],
      response: { 204: z.null().describe('Signed out') },
      errors: [NO_SESSION, { code: 'csrf_failed', example: 'this change came with the console session cookie but without its X-CSRF-Token header; send the csrf_token of POST /v1/console/session' }, 'unavailable'],
    },
    handler: async (request, reply) => {
      await sessions.authenticate(request);
      await sessions.signOut(sessions.cookieOf(request) as string);
      return setCookie(reply, '', 0).status(204).send();
    },
  });
}
