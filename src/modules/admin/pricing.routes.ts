// Model prices and group ratios. A change reaches every instance's price catalog through the
// CacheBus within milliseconds (its snapshot reloads on the 'catalog' message); tasks already
// charged keep their price snapshot.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { mutationRequest, sendMutation } from './admin-mutation.ts';
import type { AdminContext } from './admin.routes.ts';
import {
  createGroupBody,
  groupParams,
  groupSchema,
  groupsSchema,
  modelParams,
  modelPriceSchema,
  modelPricesSchema,
  updateGroupBody,
  updateModelBody,
} from './operations.schemas.ts';
import {
  createGroup,
  getGroup,
  getModelPrice,
  listGroups,
  listModelPrices,
  toGroupView,
  toModelPriceView,
  updateGroup,
  updateModelPrice,
} from './pricing.repository.ts';
import { ADMIN, ADMIN_ERRORS, BODY_ERRORS, CHANGE_ERRORS, IDEMPOTENCY_NOTE, REPLAYED } from './route-kit.ts';

const APPLIES = 'Applies to new submits on every instance within a second; a task keeps the prices it was charged with.';

export function pricingRoutes(app: FastifyInstance, { db, bus, mutate }: AdminContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/admin/models', {
    schema: {
      ...ADMIN,
      operationId: 'listModelPrices',
      summary: 'Every priced model: price per second, resolution ratios, enabled',
      response: { 200: modelPricesSchema },
      errors: ADMIN_ERRORS,
    },
    handler: async () => ({ data: (await listModelPrices(db)).map(toModelPriceView) }),
  });

  r.patch('/admin/models/:model', {
    schema: {
      ...ADMIN,
      operationId: 'updateModelPrice',
      summary: "Change a model's price per second, its resolution ratios, or turn it off (enabled: false)",
      description: `${APPLIES} ${IDEMPOTENCY_NOTE}`,
      params: modelParams,
      body: updateModelBody,
      response: { 200: modelPriceSchema },
      responseHeaders: { 200: REPLAYED },
      errors: [
        { code: 'invalid_request', example: 'price: Too small: expected number to be >=0' },
        ...CHANGE_ERRORS,
        { code: 'not_found', example: 'model wan9-t2v not found; GET /admin/models lists the priced models', param: 'model' },
        ...BODY_ERRORS,
      ],
    },
    handler: async (request, reply) => {
      const { model } = request.params;
      const result = await mutate(mutationRequest(request), {
        action: request.body.enabled === false ? 'model.disable' : request.body.enabled === true ? 'model.enable' : 'model.update',
        targetType: 'model',
        run: async (tx) => {
          const before = toModelPriceView(await getModelPrice(tx, model));
          const after = toModelPriceView(await updateModelPrice(tx, model, request.body));
          return { targetId: model, before, after, response: after };
        },
      });
      await bus.publish({ kind: 'catalog' });
      return sendMutation(reply, result);
    },
  });

  r.get('/admin/groups', {
    schema: {
      ...ADMIN,
      operationId: 'listGroups',
      summary: 'Pricing groups and their ratios (1 = list price)',
      response: { 200: groupsSchema },
      errors: ADMIN_ERRORS,
    },
    handler: async () => ({ data: (await listGroups(db)).map(toGroupView) }),
  });

  r.post('/admin/groups', {
    schema: {
      ...ADMIN,
      operationId: 'createGroup',
      summary: 'Create a pricing group; users move into it with PATCH /admin/users/{id}',
      description: IDEMPOTENCY_NOTE,
      body: createGroupBody,
      response: { 201: groupSchema },
      responseHeaders: { 201: REPLAYED },
      errors: [
        { code: 'invalid_request', example: 'ratio: Too small: expected number to be >0' },
        ...CHANGE_ERRORS,
        { code: 'conflict', example: 'group vip already exists; change its ratio with PATCH /admin/groups/vip', param: 'name' },
        ...BODY_ERRORS,
      ],
    },
    handler: async (request, reply) => {
      const result = await mutate(mutationRequest(request), {
        action: 'group.create',
        targetType: 'group',
        status: 201,
        run: async (tx) => {
          const after = toGroupView(await createGroup(tx, request.body));
          return { targetId: after.name, before: null, after, response: after };
        },
      });
      await bus.publish({ kind: 'catalog' });
      return sendMutation(reply, result);
    },
  });

  r.patch('/admin/groups/:name', {
    schema: {
      ...ADMIN,
      operationId: 'updateGroup',
      summary: "Change a group's ratio",
      description: `${APPLIES} ${IDEMPOTENCY_NOTE}`,
      params: groupParams,
      body: updateGroupBody,
      response: { 200: groupSchema },
      responseHeaders: { 200: REPLAYED },
      errors: [
        { code: 'invalid_request', example: 'ratio: Too small: expected number to be >0' },
        ...CHANGE_ERRORS,
        { code: 'not_found', example: 'group gold not found', param: 'name' },
        ...BODY_ERRORS,
      ],
    },
    handler: async (request, reply) => {
      const { name } = request.params;
      const result = await mutate(mutationRequest(request), {
        action: 'group.update',
        targetType: 'group',
        run: async (tx) => {
          const before = toGroupView(await getGroup(tx, name, true));
          const after = toGroupView(await updateGroup(tx, name, request.body));
          return { targetId: name, before, after, response: after };
        },
      });
      await bus.publish({ kind: 'catalog' });
      return sendMutation(reply, result);
    },
  });
}
