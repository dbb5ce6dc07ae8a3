// API keys: list, create, read, change, revoke, and open the web console as one. Every change
// reaches every instance's key cache through the CacheBus at once.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteError } from '../../http/route-docs.ts';
import { unixSeconds } from '../../lib/time.ts';
import { mutationRequest, sendMutation } from './admin-mutation.ts';
import type { AdminContext } from './admin.routes.ts';
import { consoleCodeSchema, createdKeySchema, createKeyBody, idParams, keySchema, updateKeyBody } from './admin.schemas.ts';
import { assertKeyUsable, createKey, getKey, listKeys, revokeKey, toKeyView, updateKey } from './keys.repository.ts';
import { keysPage, keysQuery } from './operations.schemas.ts';
import { ADMIN, ADMIN_ERRORS, BAD_CURSOR, BAD_ID, BODY_ERRORS, CHANGE_ERRORS, IDEMPOTENCY_NOTE, REPLAYED } from './route-kit.ts';

const KEY_NOT_FOUND: RouteError = { code: 'not_found', example: 'API key 7 not found' };

export function keyRoutes(app: FastifyInstance, { db, bus, mutate, validateCallbackUrl, consoleSessions }: AdminContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/admin/keys', {
    schema: {
      ...ADMIN,
      operationId: 'listKeys',
      summary: 'API keys, newest first (never the key, its hash or its webhook secret)',
      querystring: keysQuery,
      response: { 200: keysPage },
      errors: [BAD_CURSOR, ...ADMIN_ERRORS],
    },
    handler: async (request) => {
      const { rows, nextCursor } = await listKeys(db, request.query);
      return { data: rows.map((row) => toKeyView(row)), next_cursor: nextCursor };
    },
  });

  r.get('/admin/keys/:id', {
    schema: {
      ...ADMIN,
      operationId: 'getKey',
      summary: 'An API key, with its limits and spending',
      params: idParams,
      response: { 200: keySchema },
      errors: [BAD_ID, ...ADMIN_ERRORS, KEY_NOT_FOUND],
    },
    handler: async (request) => toKeyView(await getKey(db, request.params.id)),
  });

  r.post('/admin/keys', {
    schema: {
      ...ADMIN,
      operationId: 'createKey',
      summary: 'Create an API key for a user; the answer is the only time the key itself is shown',
      description: `${IDEMPOTENCY_NOTE} A replay does not show the key again.`,
      body: createKeyBody,
      response: { 201: createdKeySchema },
      responseHeaders: { 201: REPLAYED },
      errors: [{ code: 'invalid_request', example: 'user 42 does not exist' }, ...CHANGE_ERRORS, ...BODY_ERRORS],
    },
    handler: async (request, reply) => {
      await validateCallbackUrl(request.body.callback_url);
      let keyHash = '';
      const result = await mutate(mutationRequest(request), {
        action: 'key.create',
        targetType: 'key',
        status: 201,
        run: async (tx) => {
          const { key, row } = await createKey(tx, request.body.user_id, request.body);
          keyHash = row.keyHash;
          const view = toKeyView(row, { withWebhookSecret: true });
          return { targetId: row.id, before: null, after: view, response: { ...view, key } };
        },
      });
      // Another process may remember this hash as unknown from before it existed.
      if (keyHash) await bus.publish({ kind: 'key', keyHash });
      return sendMutation(reply, result);
    },
  });

  r.patch('/admin/keys/:id', {
    schema: {
      ...ADMIN,
      operationId: 'updateKey',
      summary: 'Change or disable a key, set its limits and callback_url, rotate its webhook secret; takes effect at once on every instance',
      description: `The answer shows the webhook secret only when it was rotated. A revoked key takes no change (409). ${IDEMPOTENCY_NOTE}`,
      params: idParams,
      body: updateKeyBody,
      response: { 200: keySchema },
      responseHeaders: { 200: REPLAYED },
      errors: [
        { code: 'invalid_request', example: 'request body: send at least one field to change' },
        ...CHANGE_ERRORS,
        KEY_NOT_FOUND,
        { code: 'conflict', example: 'API key 7 is revoked; a revocation cannot be undone: create a new key' },
        ...BODY_ERRORS,
      ],
    },
    handler: async (request, reply) => {
      await validateCallbackUrl(request.body.callback_url);
      const { id } = request.params;
      const { status, rotate_webhook_secret: rotate } = request.body;
      let keyHash = '';
      const result = await mutate(mutationRequest(request), {
        action: status === 'disabled' ? 'key.disable' : status === 'enabled' ? 'key.enable' : rotate ? 'key.rotate_webhook_secret' : 'key.update',
        targetType: 'key',
        run: async (tx) => {
          const before = toKeyView(await getKey(tx, id, true));
          const row = await updateKey(tx, id, request.body);
          keyHash = row.keyHash;
          return { targetId: id, before, after: toKeyView(row), response: toKeyView(row, { withWebhookSecret: rotate === true }) };
        },
      });
      if (keyHash) await bus.publish({ kind: 'key', keyHash });
      return sendMutation(reply, result);
    },
  });

  r.delete('/admin/keys/:id', {
    schema: {
      ...ADMIN,
      operationId: 'revokeKey',
      summary: 'Revoke a key for good: it stops working at once on every instance, and no later change undoes it',
      description: IDEMPOTENCY_NOTE,
      params: idParams,
      response: { 204: z.null().describe('Revoked') },
      responseHeaders: { 204: REPLAYED },
      errors: [BAD_ID, ...CHANGE_ERRORS, KEY_NOT_FOUND],
    },
    handler: async (request, reply) => {
      const { id } = request.params;
      let keyHash = '';
      const result = await mutate(mutationRequest(request), {
        action: 'key.revoke',
        targetType: 'key',
        status: 204,
        run: async (tx) => {
          const before = await getKey(tx, id, true);
          const row = await revokeKey(tx, id);
          keyHash = row.keyHash;
          return { targetId: id, before: toKeyView(before), after: toKeyView(row), response: undefined };
        },
      });
      if (keyHash) await bus.publish({ kind: 'key', keyHash });
      return sendMutation(reply, result);
    },
  });

  r.post('/admin/keys/:id/console-session', {
    schema: {
      ...ADMIN,
      operationId: 'createKeyConsoleSession',
      summary: "Act for a key in the web console: a one-time code that opens a console session as the key (never the key itself)",
      description: `The code works once, within a minute: POST /v1/console/session {"code": ...} exchanges it for the customer's session cookie, which acts as the key (its balance, tasks, playground) and remembers this operator (\`opened_by\`). The console's "Open playground as this key" does all of it in a new tab (/console/act#code=...). Audited as key.console_session. The key must be usable (enabled, not expired, its user enabled): otherwise 409. ${IDEMPOTENCY_NOTE} A replay does not show the code again.`,
      params: idParams,
      response: { 201: consoleCodeSchema },
      responseHeaders: { 201: REPLAYED },
      errors: [BAD_ID, ...CHANGE_ERRORS, KEY_NOT_FOUND, { code: 'conflict', example: 'API key 7 is disabled: enable it first (PATCH /admin/keys/{id} {"status": "enabled"})' }],
    },
    handler: async (request, reply) => {
      const { id } = request.params;
      const { tokenId, name } = request.admin;
      const result = await mutate(mutationRequest(request), {
        action: 'key.console_session',
        targetType: 'key',
        status: 201,
        run: async (tx) => {
          const key = await getKey(tx, id, true);
          await assertKeyUsable(tx, key);
          const { code, expiresAt } = await consoleSessions.issueCode(tx, id, { openedBy: name, adminTokenId: tokenId });
          const view = { object: 'console.session_code' as const, key_id: id, user_id: key.userId, expires_at: unixSeconds(expiresAt) };
          return { targetId: id, before: null, after: view, response: { ...view, code } };
        },
      });
      return sendMutation(reply, result);
    },
  });
}
