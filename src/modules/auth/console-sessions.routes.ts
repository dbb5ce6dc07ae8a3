// POST/GET/DELETE /v1/console/session: the web console's customer sign-in (with an API key, or with
// the one-time code an operator got to act for a key), its CSRF token after a reload, and sign-out.
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
    opened_by: z
      .string()
      .nullable()
      .describe('The operator (admin token name) who opened this session to act for the key with a console code; null when the key itself signed in'),
  })
  .meta({
    examples: [
      { object: 'console.session', csrf_token: 'cE3N1mJ4c2lvbi10b2tlbi1leGFtcGxlLWNzcmY', expires_at: 1764094834, user_id: 42, key_id: 7, opened_by: null },
      { object: 'console.session', csrf_token: 'Zk9wZXJhdG9yLXNlc3Npb24tY3NyZi10b2tlbg', expires_at: 1764094834, user_id: 42, key_id: 7, opened_by: 'support-alice' },
    ],
  });

const signInBody = z
  .object({
    key: z.string().trim().min(1).max(256).optional().describe('One of your API keys, sk-...; it is not kept in the browser'),
    code: z
      .string()
      .trim()
      .min(1)
      .max(128)
      .optional()
      .describe('Instead of a key: a one-time console code from POST /admin/keys/{id}/console-session (an operator acting for that key); works once, within a minute'),
  })
  .refine((body) => (body.key === undefined) !== (body.code === undefined), { message: 'send either key (one of your API keys) or code (a one-time console code), not both' })
  .meta({ examples: [{ key: 'sk-y2CcRHtrXxvvmCW5ZLJV36VHY4X1VVRWxpG4oJyUcJhJ9UIy' }, { code: 'q8Vd3mR0x2cWl1b1Ra7sYk4nNfGh5eJtPzLwUvCiAo' }] });

const NO_SESSION: RouteError = { code: 'invalid_api_key', example: 'no console session: sign in with your API key (POST /v1/console/session)' };
const FOREIGN_ORIGIN: RouteError = {
  code: 'csrf_failed',
  example: 'this change came from another origin (https://evil.example); only the console itself may make it with the session cookie',
};

export async function consoleSessionRoutes(app: FastifyInstance, { sessions, secureCookie }: ConsoleSessionRoutesOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const view = (s: { csrfToken: string; expiresAt: Date; identity: { userId: number; keyId: number }; openedBy: string | null }) => ({
    object: 'console.session' as const,
    csrf_token: s.csrfToken,
    expires_at: unixSeconds(s.expiresAt),
    user_id: s.identity.userId,
    key_id: s.identity.keyId,
    opened_by: s.openedBy,
  });
  const setCookie = (reply: FastifyReply, value: string, maxAge: number) =>
    reply.setCookie(SESSION_COOKIE, value, { path: '/', httpOnly: true, sameSite: 'strict', secure: secureCookie, maxAge });

  r.post('/v1/console/session', {
    schema: {
      operationId: 'createConsoleSession',
      tags,
      summary: 'Sign in to the web console: exchange an API key, or an operator\'s one-time console code, for a session cookie',
      description: `Sets the HttpOnly, SameSite=Strict cookie \`${SESSION_COOKIE}\`, valid for CONSOLE_SESSION_TTL_S seconds (default one hour), with which every client route accepts the request as this key's. Send \`key\` (one of your API keys) or \`code\` (a code from POST /admin/keys/{id}/console-session: the session acts as that key, and remembers the operator who asked, in \`opened_by\`). A code works once: of two exchanges of it only one gets a session. Refused from a page of another origin.`,
      security: [],
      body: signInBody,
      response: { 201: sessionSchema },
      responseHeaders: { 201: { 'set-cookie': { type: 'string', description: `${SESSION_COOKIE}=...; Path=/; HttpOnly; SameSite=Strict (and Secure over https)` } } },
      errors: [
        { code: 'invalid_request', example: 'body: send either key (one of your API keys) or code (a one-time console code), not both' },
        { code: 'invalid_api_key', example: 'this console code is unknown, expired or already used: open the playground from the operator console again for a new one' },
        FOREIGN_ORIGIN,
        'payload_too_large',
        'unsupported_media_type',
        'unavailable',
      ],
    },
    handler: async (request, reply) => {
      const { key, code } = request.body;
      const opened = key !== undefined ? await sessions.signIn(request, key) : await sessions.signInWithCode(request, code as string);
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
