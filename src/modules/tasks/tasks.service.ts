import type { FastifyBaseLogger } from 'fastify';
import { AppError, badRequest } from '../../lib/errors.ts';
import { newTaskId } from '../../lib/ids.ts';
import type { Sql } from '../../lib/database.ts';
import type { JobQueue } from '../../jobs/job-queue.ts';
import type { KeyIdentity } from '../auth/key-identity.ts';
import type { PriceCatalog } from '../pricing/catalog.ts';
import { describeCharge, priceTask } from '../pricing/quota.ts';
import { ACTION_BY_CAPABILITY, capabilityOf } from './models.ts';
import { normalizeRequest } from './normalize-request.ts';
import type { SubmitBody } from './submit.schema.ts';
import { findOwnedTask, findOwnedTaskRecord, insertChargedTask, type TaskRecordRow, type TaskRow } from './tasks.repository.ts';

const taskNotFound = (taskId: string): never => {
  throw new AppError('not_found', `task ${taskId} not found`, 'task_id');
};

/** EasyRouter shows a task's `platform` as its channel type; 17 is Alibaba DashScope. */
const DASHSCOPE_PLATFORM = '17';

export interface TaskServiceDeps {
  sql: Sql;
  catalog: PriceCatalog;
  queue: JobQueue;
}

export type TaskService = ReturnType<typeof createTaskService>;

export function createTaskService({ sql, catalog, queue }: TaskServiceDeps) {
  return {
    /** Validates, charges and records a task, then hands it to the worker. */
    async submit(auth: KeyIdentity, body: SubmitBody, log: FastifyBaseLogger): Promise<TaskRow> {
      const model = body.model?.trim();
      if (!model) throw badRequest('model is required', 'model');
      const capability = capabilityOf(model);
      const price = capability && (await catalog.price(model));
      if (!capability || !price) throw badRequest(`unknown model: ${model}`, 'model');
      if (auth.models.length > 0 && !auth.models.includes(model)) {
        throw new AppError('model_not_allowed', `this API key may not use ${model}; it is limited to ${auth.models.join(', ')}`, 'model');
      }
      const request = normalizeRequest(body, model, capability);
      const resolutionRatio = price.resolutionRatios[request.resolution];
      if (!resolutionRatio) throw badRequest(`${model} is not available at ${request.resolution}`, 'resolution');
      const groupRatio = await catalog.groupRatio(auth.group);
      if (!groupRatio) throw new AppError('internal_error', `group ${auth.group} has no ratio configured`);

      const action = ACTION_BY_CAPABILITY[capability];
      const charge = priceTask({
        model,
        pricePerSecond: price.pricePerSecond,
        group: auth.group,
        groupRatio,
        resolution: request.resolution,
        resolutionRatio,
        seconds: request.billed_seconds,
      });
      const task = await insertChargedTask(sql, {
        taskId: newTaskId(),
        userId: auth.userId,
        keyId: auth.keyId,
        group: auth.group,
        model,
        action,
        platform: DASHSCOPE_PLATFORM,
        request,
        price: charge,
        logContent: describeCharge(action, charge),
      });
      // The task is committed and paid for; if Redis is unavailable now, the worker's
      // reconciler finds it in PostgreSQL, so the client still gets its task id.
      await queue.enqueue(task.taskId).catch((err: unknown) => {
        log.warn({ err, task_id: task.taskId }, 'could not enqueue task; the reconciler will pick it up');
      });
      return task;
    },

    async get(auth: KeyIdentity, taskId: string): Promise<TaskRow> {
      return (await findOwnedTask(sql, taskId, auth.userId)) ?? taskNotFound(taskId);
    },

    async record(auth: KeyIdentity, taskId: string): Promise<TaskRecordRow> {
      return (await findOwnedTaskRecord(sql, taskId, auth.userId)) ?? taskNotFound(taskId);
    },
  };
}
