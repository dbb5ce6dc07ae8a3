// The operator API: users, quota, keys, logs, webhook deliveries and channels, behind ADMIN_TOKEN.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { CacheBus } from '../../lib/cache-bus.ts';
import type { Db } from '../../db/database.ts';
import type { RouteError } from '../../http/route-docs.ts';
import { assertCallbackUrl, type HostLookup } from '../../webhooks/callback-url.ts';
import { listDeliveries, toDeliveryView } from '../../webhooks/deliveries.repository.ts';
import { makeAdminAuth } from './admin-auth.ts';
import {
  channelSchema,
  createChannelBody,
  createdKeySchema,
  createKeyBody,
  createUserBody,
  idParams,
  keySchema,
  logsPage,
  logsQuery,
  quotaChangeBody,
  updateKeyBody,
  updateUserBody,
  userSchema,
  webhookDeliveriesPage,
  webhookDeliveriesQuery,
} from './admin.schemas.ts';
import { createChannel, toChannelView } from './channels.repository.ts';
import { createKey, toKeyView, updateKey } from './keys.repository.ts';
import { listLogs, toLogView } from './logs.repository.ts';
import { changeQuota, createUser, getUser, toUserView, updateUser } from './users.repository.ts';

export interface AdminRoutesOptions {
  db: Db;
  bus: CacheBus;
  adminToken: string;
  /** WEBHOOK_ALLOW_PRIVATE_HOSTS: a key's callback_url may point at loopback and private addresses. */
  allowPrivateCallbackHosts?: boolean;
  /** Resolves callback_url hosts; default the system resolver. */
  lookup?: HostLookup;
}

const admin = { tags: ['admin'], security: [{ adminToken: [] }] };

// What every operator route can answer, and what one with a JSON body adds.
const ADMIN_ERRORS: RouteError[] = ['admin_unauthorized', 'admin_disabled'];
const BODY_ERRORS: RouteError[] = ['payload_too_large', 'unsupported_media_type'];
const USER_NOT_FOUND: RouteError = { code: 'not_found', example: 'user 42 not found' };
const BAD_ID: RouteError = { code: 'invalid_request', example: 'params id: Too small: expected number to be >0' };
const BAD_CURSOR: RouteError = { code: 'invalid_request', example: 'querystring cursor: cursor must be the next_cursor of a previous page' };

export async function adminRoutes(app: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  const { db, bus, adminToken } = options;
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.addHook('onRequest', makeAdminAuth(adminToken));
  const validateCallbackUrl = async (url: string | null | undefined) => {
    if (url !== undefined && url !== null) await assertCallbackUrl(url, { allowPrivateHosts: options.allowPrivateCallbackHosts ?? false, lookup: options.lookup });
  };

  r.post('/admin/users', {
    schema: {
      ...admin,
      operationId: 'createUser',
      summary: 'Create a user, with an initial quota (logged as a top-up)',
      body: createUserBody,
      response: { 201: userSchema },
      errors: [{ code: 'invalid_request', example: 'unknown group: gold' }, ...ADMIN_ERRORS, ...BODY_ERRORS],
    },
    handler: async (request, reply) => reply.status(201).send(toUserView(await createUser(db, request.body))),
  });

  r.get('/admin/users/:id', {
    schema: {
      ...admin,
      operationId: 'getUser',
      summary: 'A user, with their balance',
      params: idParams,
      response: { 200: userSchema },
      errors: [BAD_ID, ...ADMIN_ERRORS, USER_NOT_FOUND],
    },
    handler: async (request) => toUserView(await getUser(db, request.params.id)),
  });

  r.patch('/admin/users/:id', {
    schema: {
      ...admin,
      operationId: 'updateUser',
      summary: 'Rename a user, move them to another group, or disable them (which stops their keys at once)',
      params: idParams,
      body: updateUserBody,
      response: { 200: userSchema },
      errors: [{ code: 'invalid_request', example: 'unknown group: gold' }, ...ADMIN_ERRORS, USER_NOT_FOUND, ...BODY_ERRORS],
    },
    handler: async (request) => {
      const user = await updateUser(db, request.params.id, request.body);
      await bus.publish({ kind: 'user', userId: user.id });
      return toUserView(user);
    },
  });

  r.post('/admin/users/:id/quota', {
    schema: {
      ...admin,
      operationId: 'changeUserQuota',
      summary: 'Top up (delta > 0) or deduct (delta < 0) quota',
      params: idParams,
      body: quotaChangeBody,
      response: { 200: userSchema },
      errors: [
        { code: 'invalid_request', example: 'cannot deduct 500000: user 42 has only 250000 quota left' },
        ...ADMIN_ERRORS,
        USER_NOT_FOUND,
        ...BODY_ERRORS,
      ],
    },
    handler: async (request) => toUserView(await changeQuota(db, request.params.id, request.body.delta, request.body.note)),
  });

  r.post('/admin/keys', {
    schema: {
      ...admin,
      operationId: 'createKey',
      summary: 'Create an API key for a user; the answer is the only time the key itself is shown',
      body: createKeyBody,
      response: { 201: createdKeySchema },
      errors: [{ code: 'invalid_request', example: 'user 42 does not exist' }, ...ADMIN_ERRORS, ...BODY_ERRORS],
    },
    handler: async (request, reply) => {
      await validateCallbackUrl(request.body.callback_url);
      const { key, row } = await createKey(db, request.body.user_id, request.body);
      // Another process may remember this hash as unknown from before it existed.
      await bus.publish({ kind: 'key', keyHash: row.keyHash });
      return reply.status(201).send({ ...toKeyView(row), key });
    },
  });

  r.patch('/admin/keys/:id', {
    schema: {
      ...admin,
      operationId: 'updateKey',
      summary: 'Change or revoke (status: disabled) a key, set its callback_url, rotate its webhook secret; takes effect at once on every instance',
      params: idParams,
      body: updateKeyBody,
      response: { 200: keySchema },
      errors: [
        { code: 'invalid_request', example: 'request body: send at least one field to change' },
        ...ADMIN_ERRORS,
        { code: 'not_found', example: 'API key 7 not found' },
        ...BODY_ERRORS,
      ],
    },
    handler: async (request) => {
      await validateCallbackUrl(request.body.callback_url);
      const row = await updateKey(db, request.params.id, request.body);
      await bus.publish({ kind: 'key', keyHash: row.keyHash });
      return toKeyView(row);
    },
  });

  r.get('/admin/logs', {
    schema: {
      ...admin,
      operationId: 'listLogs',
      summary: 'Quota movements (top-ups, charges, deductions, refunds), newest first',
      querystring: logsQuery,
      response: { 200: logsPage },
      errors: [BAD_CURSOR, ...ADMIN_ERRORS],
    },
    handler: async (request) => {
      const { rows, nextCursor } = await listLogs(db, request.query);
      return { data: rows.map(toLogView), next_cursor: nextCursor };
    },
  });

  r.get('/admin/webhooks', {
    schema: {
      ...admin,
      operationId: 'listWebhookDeliveries',
      summary: 'Webhook delivery attempts, newest first',
      querystring: webhookDeliveriesQuery,
      response: { 200: webhookDeliveriesPage },
      errors: [BAD_CURSOR, ...ADMIN_ERRORS],
    },
    handler: async (request) => {
      const { rows, nextCursor } = await listDeliveries(db, request.query);
      return { data: rows.map(toDeliveryView), next_cursor: nextCursor };
    },
  });

  r.post('/admin/channels', {
    schema: {
      ...admin,
      operationId: 'createChannel',
      summary: 'Add an upstream DashScope account; its API key is never shown again',
      body: createChannelBody,
      response: { 201: channelSchema },
      errors: [{ code: 'invalid_request', example: 'base_url: base_url must be an http(s) URL' }, ...ADMIN_ERRORS, ...BODY_ERRORS],
    },
    handler: async (request, reply) => {
      const channel = await createChannel(db, request.body);
      await bus.publish({ kind: 'channels' });
      return reply.status(201).send(toChannelView(channel));
    },
  });
}
