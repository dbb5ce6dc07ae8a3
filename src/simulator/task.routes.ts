// GET /api/v1/tasks/{id}, POST /api/v1/tasks/{id}/cancel and the task list GET /api/v1/tasks. Like
// DashScope, a query answers 200 for any id: one it does not know (or no longer keeps) is UNKNOWN,
// not 404.
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { SimulatorOptions } from './options.ts';
import { parseChinaTime } from '../lib/china-time.ts';
import { statusAt, type TaskStore } from './task-store.ts';
import { taskView, unknownTaskView } from './task-views.ts';
import { internalError, invalidParameter, SimError } from './upstream-errors.ts';

const FINAL_STATUSES = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);
import type { VideoLinks } from './video-links.ts';

export interface TaskRoutesOptions {
  guard: onRequestAsyncHookHandler;
  store: TaskStore;
  links: VideoLinks;
  publicUrl: SimulatorOptions['publicUrl'];
}

interface TaskRequest {
  Params: { taskId: string };
}

interface ListRequest {
  Querystring: Record<string, string | undefined>;
}

const LIST_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const MAX_PAGE_SIZE = 100;

/** The list's yyyyMMddHHmmss in China time (UTC+8) → epoch ms. */
function listTime(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const m = LIST_TIME.exec(text);
  if (!m) throw invalidParameter(`${name} must be formatted as yyyyMMddHHmmss.`);
  return (parseChinaTime(`${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}`) as Date).getTime();
}

export async function taskRoutes(app: FastifyInstance, { guard, store, links, publicUrl }: TaskRoutesOptions): Promise<void> {
  app.get<TaskRequest>('/api/v1/tasks/:taskId', { onRequest: guard }, async (request) => {
    const { taskId } = request.params;
    const now = Date.now();
    const task = store.find(taskId, now);
    if (task && task.flakyQueries > 0) {
      task.flakyQueries -= 1;
      throw internalError();
    }
    const view =
      !task || task.hidden ? unknownTaskView(taskId) : taskView(task, now, () => links.link(linkBase(publicUrl, request), task.id, task.endsAt));
    return { request_id: request.id, ...view };
  });

  // Newest last, as the list is only ever read here to find tasks by their creation time.
  app.get<ListRequest>('/api/v1/tasks', { onRequest: guard }, async (request) => {
    const q = request.query;
    const now = Date.now();
    const pageNo = Math.max(1, Number(q.page_no ?? 1) || 1);
    const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Number(q.page_size ?? 10) || 10));
    const from = listTime(q.start_time, 'start_time') ?? 0;
    // end_time names a whole second: everything up to its end is in.
    const to = (listTime(q.end_time, 'end_time') ?? now) + 999;
    const status = q.status;
    const tasks = store.list({ from, to, model: q.model_name }, now).filter((task) => !task.hidden && (!status || statusAt(task, now) === status));
    const page = tasks.slice((pageNo - 1) * pageSize, pageNo * pageSize);
    return {
      total: tasks.length,
      data: page.map((task) => ({
        task_id: task.id,
        status: statusAt(task, now),
        model_name: task.model,
        gmt_create: task.submittedAt,
        start_time: task.submittedAt,
        ...(FINAL_STATUSES.has(statusAt(task, now)) ? { end_time: task.canceledAt ?? task.endsAt } : {}),
        region: 'cn-beijing',
        request_id: request.id,
      })),
      total_page: Math.ceil(tasks.length / pageSize),
      page_no: pageNo,
      page_size: pageSize,
      request_id: request.id,
    };
  });

  await app.register(async (cancelScope) => {
    // A cancel has no body, yet some clients still label the nothing application/json, which
    // Fastify's JSON parser refuses; this route reads no body at all.
    cancelScope.removeAllContentTypeParsers();
    cancelScope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null, undefined));

    cancelScope.post<TaskRequest>('/api/v1/tasks/:taskId/cancel', { onRequest: guard }, async (request) => {
      const { taskId } = request.params;
      const now = Date.now();
      if (!store.cancel(taskId, now)) throw new SimError(400, 'UnsupportedOperation');
      return { request_id: request.id };
    });
  });
}

function linkBase(publicUrl: SimulatorOptions['publicUrl'], request: FastifyRequest): string {
  if (typeof publicUrl === 'function') return publicUrl();
  return publicUrl ?? `http://${request.host}`;
}
