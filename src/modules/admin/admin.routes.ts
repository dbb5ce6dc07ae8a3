// The operator API: users, quota, keys, logs, webhook deliveries and channels, behind ADMIN_TOKEN.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { CacheBus } from '../../lib/cache-bus.ts';
import type { Db } from '../../db/database.ts';
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

export async function adminRoutes(app: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  const { db, bus, adminToken } = options;
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.addHook('onRequest', makeAdminAuth(adminToken));
  const validateCallbackUrl = async (url: string | null | undefined) => {
    if (url !== undefined && url !== null) await assertCallbackUrl(url, { allowPrivateHosts: options.allowPrivateCallbackHosts ?? false, lookup: options.lookup });
  };

  r.post('/admin/users', {
    schema: { ...admin, operationId: 'createUser', body: createUserBody, response: { 201: userSchema } },
    handler: async (request, reply) => reply.status(201).send(toUserView(await createUser(db, request.body))),
  });

  r.get('/admin/users/:id', {
    schema: { ...admin, operationId: 'getUser', params: idParams, response: { 200: userSchema } },
    handler: async (request) => toUserView(await getUser(db, request.params.id)),
  });

  r.patch('/admin/users/:id', {
    schema: { ...admin, operationId: 'updateUser', params: idParams, body: updateUserBody, response: { 200: userSchema } },
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
    },
    handler: async (request) => toUserView(await changeQuota(db, request.params.id, request.body.delta, request.body.note)),
  });

  r.post('/admin/keys', {
    schema: { ...admin, operationId: 'createKey', body: createKeyBody, response: { 201: createdKeySchema } },
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
    },
    handler: async (request) => {
      await validateCallbackUrl(request.body.callback_url);
      const row = await updateKey(db, request.params.id, request.body);
      await bus.publish({ kind: 'key', keyHash: row.keyHash });
      return toKeyView(row);
    },
  });

  r.get('/admin/logs', {
    schema: { ...admin, operationId: 'listLogs', querystring: logsQuery, response: { 200: logsPage } },
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
    },
    handler: async (request) => {
      const { rows, nextCursor } = await listDeliveries(db, request.query);
      return { data: rows.map(toDeliveryView), next_cursor: nextCursor };
    },
  });

  r.post('/admin/channels', {
    schema: { ...admin, operationId: 'createChannel', body: createChannelBody, response: { 201: channelSchema } },
    handler: async (request, reply) => {
      const channel = await createChannel(db, request.body);
      await bus.publish({ kind: 'channels' });
      return reply.status(201).send(toChannelView(channel));
    },
  });
}
