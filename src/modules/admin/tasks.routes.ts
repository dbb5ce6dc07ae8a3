// Tasks as operators see them, followed live over the clients' own event stream (streamTask), and
// ending one that is stuck: through the one way to end an unfinished task (src/lifecycle/end-task.ts),
// inside the mutation's transaction, so the refund, the task's final state and the audit row commit
// together, exactly once whatever races them.
import { unixSeconds } from '../../lib/time.ts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteError } from '../../http/route-docs.ts';
import type { JobQueue } from '../../jobs/job-queue.ts';
import { AppError } from '../../lib/errors.ts';
import { EXAMPLE_TASK_ID } from '../../lib/ids.ts';
import { endTask } from '../../lifecycle/end-task.ts';
import { streamTask } from '../tasks/event-stream.ts';
import { eventStreamResponses, STREAM_NOTE } from '../tasks/route-support.ts';
import { queuePosition, type TaskRow } from '../tasks/tasks.repository.ts';
import { toDeliveryView } from '../../webhooks/deliveries.repository.ts';
import { mutationRequest, sendMutation } from './admin-mutation.ts';
import type { AdminContext } from './admin.routes.ts';
import { toLogView } from './logs.repository.ts';
import { failedTaskSchema, failTaskBody, taskDetailSchema, taskIdParams, tasksPage, tasksQuery } from './operations.schemas.ts';
import { ADMIN, ADMIN_ERRORS, BAD_CURSOR, BODY_ERRORS, CHANGE_ERRORS, IDEMPOTENCY_NOTE, REPLAYED } from './route-kit.ts';
import { listTasks, requireTask, taskHistory, toAdminTaskView } from './tasks.repository.ts';

const TASK_NOT_FOUND: RouteError = { code: 'not_found', example: `task ${EXAMPLE_TASK_ID} not found`, param: 'task_id' };

const BAD_TASK_ID: RouteError = { code: 'invalid_request', example: 'params task_id: Too big: expected string to have <=64 characters' };

export function taskRoutes(app: FastifyInstance, { db, ending, mutate, resultUrl, events, openStreams }: AdminContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  /** What GET /admin/tasks/{task_id} answers, and each message of its event stream. */
  async function taskDetail(task: TaskRow) {
    const [{ logs, webhooks, deliveries }, channel, link] = await Promise.all([
      taskHistory(db, task.taskId),
      task.channelId === null ? null : db.selectFrom('channels').select(['id', 'name', 'status']).where('id', '=', task.channelId).executeTakeFirst(),
      task.status === 'SUCCESS' ? resultUrl(task) : null,
    ]);
    return {
      ...toAdminTaskView(task),
      request: task.request as unknown as Record<string, unknown>,
      price_snapshot: task.priceSnapshot as unknown as Record<string, unknown>,
      channel: channel ?? null,
      upstream_response: task.data,
      result_url: link || null,
      logs: logs.map(toLogView),
      webhooks: webhooks.map((w) => ({ event: w.event, state: w.state, created_at: unixSeconds(w.createdAt) })),
      webhook_deliveries: deliveries.map(toDeliveryView),
    };
  }

  r.get('/admin/tasks', {
    schema: {
      ...ADMIN,
      operationId: 'listTasks',
      summary: "Every user's tasks, newest first",
      querystring: tasksQuery,
      response: { 200: tasksPage },
      errors: [BAD_CURSOR, ...ADMIN_ERRORS],
    },
    handler: async (request) => {
      const { rows, nextCursor } = await listTasks(db, request.query);
      return { data: rows.map(toAdminTaskView), next_cursor: nextCursor };
    },
  });

  r.get('/admin/tasks/:task_id', {
    schema: {
      ...ADMIN,
      operationId: 'getTask',
      summary: "A task with everything: the normalized request, the price snapshot, its channel, the upstream's latest answer, its logs and webhook deliveries",
      params: taskIdParams,
      response: { 200: taskDetailSchema },
      errors: [BAD_TASK_ID, ...ADMIN_ERRORS, TASK_NOT_FOUND],
    },
    handler: async (request) => taskDetail(await requireTask(db, request.params.task_id)),
  });

  r.get('/admin/tasks/:task_id/events', {
    schema: {
      ...ADMIN,
      operationId: 'streamTask',
      summary: "Follow a task as server-sent events, each carrying the task's detail (GET /admin/tasks/{task_id})",
      description: `${STREAM_NOTE} Here the object is the task's whole detail, logs and webhook deliveries included. A read-only token may follow a task.`,
      params: taskIdParams,
      response: eventStreamResponses,
      errors: [BAD_TASK_ID, ...ADMIN_ERRORS, TASK_NOT_FOUND, 'unavailable'],
    },
    handler: async (request, reply) => {
      const taskId = request.params.task_id;
      // Each message is the whole detail, not a lighter view: a page following the stream then
      // needs no second read to show the logs and webhooks the change brought along. Its cost is
      // a render per change of this one task (a handful in its life, plus a queue-position recount
      // at most once a second per stream while it waits), a few indexed reads of a task's own
      // rows, and operator streams are few.
      await streamTask(request, reply, {
        events,
        open: openStreams,
        load: () => requireTask(db, taskId),
        render: async (task) => ({ body: await taskDetail(task), status: task.status }),
        queuePosition: (task) => queuePosition(db, task),
      });
    },
  });

  r.post('/admin/tasks/:task_id/fail', {
    schema: {
      ...ADMIN,
      operationId: 'failTask',
      summary: 'End an unfinished task as FAILURE with a full refund (cancelled upstream while still PENDING there); 409 when it has already ended',
      description: `Exactly once, even while a worker is settling the same task: whichever ends it first wins, and the other changes nothing. ${IDEMPOTENCY_NOTE}`,
      params: taskIdParams,
      body: failTaskBody,
      response: { 200: failedTaskSchema },
      responseHeaders: { 200: REPLAYED },
      errors: [
        { code: 'invalid_request', example: 'reason: Too small: expected string to have >=1 characters' },
        ...CHANGE_ERRORS,
        TASK_NOT_FOUND,
        { code: 'conflict', example: `task ${EXAMPLE_TASK_ID} has already ended (SUCCESS); there is nothing to fail`, param: 'task_id' },
        ...BODY_ERRORS,
      ],
    },
    handler: async (request, reply) => {
      // The end's webhook is queued once the transaction has committed, so its job finds the task final.
      type Enqueue = Parameters<JobQueue['enqueue']>;
      const webhooks: Enqueue[] = [];
      const queues = { webhooks: { enqueue: async (...job: Enqueue) => void webhooks.push(job) } };
      const result = await mutate(mutationRequest(request), {
        action: 'task.fail',
        targetType: 'task',
        run: async (tx) => {
          const task = await requireTask(tx, request.params.task_id);
          const outcome = await endTask({ ...ending, queues, db: tx }, task, 'force', `Operator: ${request.body.reason}`);
          if (!outcome.ended) {
            throw new AppError('conflict', `task ${task.taskId} has already ended (${outcome.task.status}); there is nothing to fail`, 'task_id');
          }
          const after = toAdminTaskView(outcome.task);
          return { targetId: task.taskId, before: toAdminTaskView(task), after, response: { ...after, refunded: Number(outcome.refunded) } };
        },
      });
      for (const job of webhooks) await ending.queues.webhooks.enqueue(...job).catch(() => {});
      return sendMutation(reply, result);
    },
  });
}
