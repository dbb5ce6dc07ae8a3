// Upstream accounts: list, add, read, change (re-enable an auto-disabled one), test, delete.
// Every change reaches the workers' channel lists through the CacheBus at once.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteError } from '../../http/route-docs.ts';
import { probeChannel } from '../../upstream/channel-probe.ts';
import { mutationRequest, sendMutation } from './admin-mutation.ts';
import type { AdminContext } from './admin.routes.ts';
import { channelSchema, createChannelBody, idParams, updateChannelBody } from './admin.schemas.ts';
import { createChannel, deleteChannel, getChannel, listChannels, toChannelView, updateChannel } from './channels.repository.ts';
import { channelsPage, channelsQuery, channelTestSchema } from './operations.schemas.ts';
import { ADMIN, ADMIN_ERRORS, BAD_CURSOR, BAD_ID, BODY_ERRORS, CHANGE_ERRORS, IDEMPOTENCY_NOTE, REPLAYED } from './route-kit.ts';

const CHANNEL_NOT_FOUND: RouteError = { code: 'not_found', example: 'channel 3 not found' };

export function channelRoutes(app: FastifyInstance, { db, bus, secrets, upstream, mutate }: AdminContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const view = (row: Parameters<typeof toChannelView>[0]) => toChannelView(row, secrets);

  r.get('/admin/channels', {
    schema: {
      ...ADMIN,
      operationId: 'listChannels',
      summary: 'Upstream accounts, newest first (API keys masked)',
      querystring: channelsQuery,
      response: { 200: channelsPage },
      errors: [BAD_CURSOR, ...ADMIN_ERRORS],
    },
    handler: async (request) => {
      const { rows, nextCursor } = await listChannels(db, request.query);
      return { data: rows.map(view), next_cursor: nextCursor };
    },
  });

  r.get('/admin/channels/:id', {
    schema: {
      ...ADMIN,
      operationId: 'getChannel',
      summary: 'An upstream account (API key masked)',
      params: idParams,
      response: { 200: channelSchema },
      errors: [BAD_ID, ...ADMIN_ERRORS, CHANNEL_NOT_FOUND],
    },
    handler: async (request) => view(await getChannel(db, request.params.id)),
  });

  r.post('/admin/channels', {
    schema: {
      ...ADMIN,
      operationId: 'createChannel',
      summary: 'Add an upstream DashScope account; its API key is never shown again (and is encrypted at rest with ENCRYPTION_KEY)',
      description: IDEMPOTENCY_NOTE,
      body: createChannelBody,
      response: { 201: channelSchema },
      responseHeaders: { 201: REPLAYED },
      errors: [{ code: 'invalid_request', example: 'base_url: base_url must be an http(s) URL' }, ...CHANGE_ERRORS, ...BODY_ERRORS],
    },
    handler: async (request, reply) => {
      const result = await mutate(mutationRequest(request), {
        action: 'channel.create',
        targetType: 'channel',
        status: 201,
        run: async (tx) => {
          const after = view(await createChannel(tx, request.body, secrets));
          return { targetId: after.id, before: null, after, response: after };
        },
      });
      await bus.publish({ kind: 'channels' });
      return sendMutation(reply, result);
    },
  });

  r.patch('/admin/channels/:id', {
    schema: {
      ...ADMIN,
      operationId: 'updateChannel',
      summary: 'Change an upstream account: its key, models, priority, weight, budgets, max_inflight; status enabled re-enables an auto-disabled one',
      description: IDEMPOTENCY_NOTE,
      params: idParams,
      body: updateChannelBody,
      response: { 200: channelSchema },
      responseHeaders: { 200: REPLAYED },
      errors: [{ code: 'invalid_request', example: 'request body: send at least one field to change' }, ...CHANGE_ERRORS, CHANNEL_NOT_FOUND, ...BODY_ERRORS],
    },
    handler: async (request, reply) => {
      const { id } = request.params;
      const { status } = request.body;
      const result = await mutate(mutationRequest(request), {
        action: status === 'enabled' ? 'channel.enable' : status === 'disabled' ? 'channel.disable' : 'channel.update',
        targetType: 'channel',
        run: async (tx) => {
          const before = view(await getChannel(tx, id, true));
          const after = view(await updateChannel(tx, id, request.body, secrets));
          return { targetId: id, before, after, response: after };
        },
      });
      await bus.publish({ kind: 'channels' });
      return sendMutation(reply, result);
    },
  });

  r.delete('/admin/channels/:id', {
    schema: {
      ...ADMIN,
      operationId: 'deleteChannel',
      summary: 'Delete an upstream account; 409 while it has unfinished tasks (disable it first and wait for them)',
      description: IDEMPOTENCY_NOTE,
      params: idParams,
      response: { 204: z.null().describe('Deleted') },
      responseHeaders: { 204: REPLAYED },
      errors: [
        BAD_ID,
        ...CHANGE_ERRORS,
        CHANNEL_NOT_FOUND,
        { code: 'conflict', example: 'channel 3 has 12 unfinished task(s); disable it and delete it once they have ended' },
      ],
    },
    handler: async (request, reply) => {
      const { id } = request.params;
      const result = await mutate(mutationRequest(request), {
        action: 'channel.delete',
        targetType: 'channel',
        status: 204,
        run: async (tx) => {
          const before = view(await getChannel(tx, id, true));
          await deleteChannel(tx, id);
          return { targetId: id, before, after: null, response: undefined };
        },
      });
      await bus.publish({ kind: 'channels' });
      return sendMutation(reply, result);
    },
  });

  r.post('/admin/channels/:id/test', {
    schema: {
      ...ADMIN,
      operationId: 'testChannel',
      summary: "One cheap authenticated call to the upstream with the channel's key (its task list): whether the key works, and how fast",
      description: 'Changes nothing: an auto-disabled channel whose key works again is re-enabled with PATCH {"status": "enabled"}, or by the worker at its next re-test.',
      params: idParams,
      response: { 200: channelTestSchema },
      errors: [BAD_ID, ...ADMIN_ERRORS, 'admin_read_only', CHANNEL_NOT_FOUND],
    },
    handler: async (request) => {
      const channel = await getChannel(db, request.params.id);
      return probeChannel(upstream, { id: channel.id, baseUrl: channel.baseUrl, apiKey: secrets.open(channel.apiKey) });
    },
  });
}
