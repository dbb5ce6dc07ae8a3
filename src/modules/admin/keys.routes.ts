// API keys: list, create, read, change, revoke. Every change reaches every instance's key cache
// through the CacheBus at once.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteError } from '../../http/route-docs.ts';
import { mutationRequest, sendMutation } from './admin-mutation.ts';
import type { AdminContext } from './admin.routes.ts';
import { createdKeySchema, createKeyBody, idParams, keySchema, updateKeyBody } from './admin.schemas.ts';
import { createKey, getKey, listKeys, revokeKey, toKeyView, updateKey } from './keys.repository.ts';
import { keysPage, keysQuery } from './operations.schemas.ts';
import { ADMIN, ADMIN_ERRORS, BAD_CURSOR, BAD_ID, BODY_ERRORS, CHANGE_ERRORS, IDEMPOTENCY_NOTE, REPLAYED } from './route-kit.ts';

const KEY_NOT_FOUND: RouteError = { code: 'not_found', example: 'API key 7 not found' };

export function keyRoutes(app: FastifyInstance, { db, bus, mutate, validateCallbackUrl }: AdminContext): void {
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
}
