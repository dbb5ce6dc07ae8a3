// Users: list, create, read, change, top up or deduct.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { mutationRequest, sendMutation } from './admin-mutation.ts';
import type { AdminContext } from './admin.routes.ts';
import { createUserBody, idParams, quotaChangeBody, updateUserBody, userSchema } from './admin.schemas.ts';
import { usersPage, usersQuery } from './operations.schemas.ts';
import { ADMIN, ADMIN_ERRORS, BAD_CURSOR, BAD_ID, BODY_ERRORS, CHANGE_ERRORS, IDEMPOTENCY_NOTE, REPLAYED } from './route-kit.ts';
import { changeQuota, createUser, getUser, listUsers, toUserView, updateUser } from './users.repository.ts';
import type { RouteError } from '../../http/route-docs.ts';

const USER_NOT_FOUND: RouteError = { code: 'not_found', example: 'user 42 not found' };

export function userRoutes(app: FastifyInstance, { db, bus, mutate }: AdminContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/admin/users', {
    schema: {
      ...ADMIN,
      operationId: 'listUsers',
      summary: 'Users, newest first; search by part of the name or by id',
      querystring: usersQuery,
      response: { 200: usersPage },
      errors: [BAD_CURSOR, ...ADMIN_ERRORS],
    },
    handler: async (request) => {
      const { rows, nextCursor } = await listUsers(db, request.query);
      return { data: rows.map(toUserView), next_cursor: nextCursor };
    },
  });

  r.post('/admin/users', {
    schema: {
      ...ADMIN,
      operationId: 'createUser',
      summary: 'Create a user, with an initial quota (logged as a top-up) and default limits for their keys',
      description: IDEMPOTENCY_NOTE,
      body: createUserBody,
      response: { 201: userSchema },
      responseHeaders: { 201: REPLAYED },
      errors: [{ code: 'invalid_request', example: 'unknown group: gold' }, ...CHANGE_ERRORS, ...BODY_ERRORS],
    },
    handler: async (request, reply) => {
      const result = await mutate(mutationRequest(request), {
        action: 'user.create',
        targetType: 'user',
        status: 201,
        run: async (tx) => {
          const view = toUserView(await createUser(tx, request.body));
          return { targetId: view.id, before: null, after: view, response: view };
        },
      });
      return sendMutation(reply, result);
    },
  });

  r.get('/admin/users/:id', {
    schema: {
      ...ADMIN,
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
      ...ADMIN,
      operationId: 'updateUser',
      summary: "Rename a user, move them to another group, change their keys' default limits, or disable them (which stops their keys at once)",
      description: IDEMPOTENCY_NOTE,
      params: idParams,
      body: updateUserBody,
      response: { 200: userSchema },
      responseHeaders: { 200: REPLAYED },
      errors: [{ code: 'invalid_request', example: 'unknown group: gold' }, ...CHANGE_ERRORS, USER_NOT_FOUND, ...BODY_ERRORS],
    },
    handler: async (request, reply) => {
      const { id } = request.params;
      const result = await mutate(mutationRequest(request), {
        action: request.body.status === 'disabled' ? 'user.disable' : request.body.status === 'enabled' ? 'user.enable' : 'user.update',
        targetType: 'user',
        run: async (tx) => {
          const before = toUserView(await getUser(tx, id, true));
          const after = toUserView(await updateUser(tx, id, request.body));
          return { targetId: id, before, after, response: after };
        },
      });
      await bus.publish({ kind: 'user', userId: id });
      return sendMutation(reply, result);
    },
  });

  r.post('/admin/users/:id/quota', {
    schema: {
      ...ADMIN,
      operationId: 'changeUserQuota',
      summary: 'Top up (delta > 0) or deduct (delta < 0) quota',
      description: `${IDEMPOTENCY_NOTE} A retried top-up with the same key credits once.`,
      params: idParams,
      body: quotaChangeBody,
      response: { 200: userSchema },
      responseHeaders: { 200: REPLAYED },
      errors: [
        { code: 'invalid_request', example: 'cannot deduct 500000: user 42 has only 250000 quota left' },
        ...CHANGE_ERRORS,
        USER_NOT_FOUND,
        ...BODY_ERRORS,
      ],
    },
    handler: async (request, reply) => {
      const { id } = request.params;
      const result = await mutate(mutationRequest(request), {
        action: request.body.delta > 0 ? 'user.topup' : 'user.deduct',
        targetType: 'user',
        run: async (tx) => {
          const before = toUserView(await getUser(tx, id, true));
          const after = toUserView(await changeQuota(tx, id, request.body.delta, request.body.note));
          return { targetId: id, before, after, response: after };
        },
      });
      return sendMutation(reply, result);
    },
  });
}
