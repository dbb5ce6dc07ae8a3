// GET /api/v1/tasks/{id} and POST /api/v1/tasks/{id}/cancel. Like DashScope, a query answers 200
// for any id: one it does not know (or no longer keeps) is UNKNOWN, not 404.
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { SimulatorOptions } from './options.ts';
import type { TaskStore } from './task-store.ts';
import { taskView, unknownTaskView } from './task-views.ts';
import { internalError, SimError } from './upstream-errors.ts';
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
