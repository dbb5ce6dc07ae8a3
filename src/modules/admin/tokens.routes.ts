// Who is calling, and the admin tokens operators hand each other.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { mutationRequest, sendMutation } from './admin-mutation.ts';
import type { AdminContext } from './admin.routes.ts';
import { idParams } from './admin.schemas.ts';
import { createAdminToken, deleteAdminToken, listAdminTokens, toAdminTokenView } from './admin-tokens.repository.ts';
import { adminTokensSchema, createAdminTokenBody, createdAdminTokenSchema, meSchema } from './operations.schemas.ts';
import { ADMIN, ADMIN_ERRORS, BAD_ID, BODY_ERRORS, CHANGE_ERRORS, IDEMPOTENCY_NOTE, REPLAYED } from './route-kit.ts';

export function tokenRoutes(app: FastifyInstance, { db, mutate }: AdminContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/admin/me', {
    schema: {
      ...ADMIN,
      operationId: 'getAdminMe',
      summary: "The calling admin token's name and scope",
      response: { 200: meSchema },
      errors: ADMIN_ERRORS,
    },
    handler: async (request) => ({ token_id: request.admin.tokenId, name: request.admin.name, scope: request.admin.scope }),
  });

  r.get('/admin/tokens', {
    schema: {
      ...ADMIN,
      operationId: 'listAdminTokens',
      summary: 'Admin tokens (never the tokens themselves), newest first',
      response: { 200: adminTokensSchema },
      errors: ADMIN_ERRORS,
    },
    handler: async () => ({ data: (await listAdminTokens(db)).map(toAdminTokenView) }),
  });

  r.post('/admin/tokens', {
    schema: {
      ...ADMIN,
      operationId: 'createAdminToken',
      summary: 'Create an admin token (scope read: GET only; write: everything); the answer is the only time it is shown',
      description: `Stored as a SHA-256 hash. ${IDEMPOTENCY_NOTE} A replay does not show the token again.`,
      body: createAdminTokenBody,
      response: { 201: createdAdminTokenSchema },
      responseHeaders: { 201: REPLAYED },
      errors: [{ code: 'invalid_request', example: 'scope: Invalid option: expected one of "read"|"write"' }, ...CHANGE_ERRORS, ...BODY_ERRORS],
    },
    handler: async (request, reply) => {
      const result = await mutate(mutationRequest(request), {
        action: 'admin_token.create',
        targetType: 'admin_token',
        status: 201,
        run: async (tx) => {
          const { token, row } = await createAdminToken(tx, request.body);
          const view = toAdminTokenView(row);
          return { targetId: row.id, before: null, after: view, response: { ...view, token } };
        },
      });
      return sendMutation(reply, result);
    },
  });

  r.delete('/admin/tokens/:id', {
    schema: {
      ...ADMIN,
      operationId: 'deleteAdminToken',
      summary: 'Delete an admin token; it stops working at once',
      description: IDEMPOTENCY_NOTE,
      params: idParams,
      response: { 204: z.null().describe('Deleted') },
      responseHeaders: { 204: REPLAYED },
      errors: [BAD_ID, ...CHANGE_ERRORS, { code: 'not_found', example: 'admin token 9 not found' }],
    },
    handler: async (request, reply) => {
      const result = await mutate(mutationRequest(request), {
        action: 'admin_token.delete',
        targetType: 'admin_token',
        status: 204,
        run: async (tx) => {
          const row = await deleteAdminToken(tx, request.params.id);
          return { targetId: row.id, before: toAdminTokenView(row), after: null, response: undefined };
        },
      });
      return sendMutation(reply, result);
    },
  });
}

