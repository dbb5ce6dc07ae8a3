// POST /api/v1/services/aigc/video-generation/video-synthesis: checks a wan2.7 submit like
// DashScope and creates a task whose whole life (and any simulated fault) is fixed now.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { type Directives, extractDirectives } from './directives.ts';
import { FlakyCounter } from './flaky-counter.ts';
import { echoedPrompt, readSubmission } from './submission.ts';
import type { SimTask, TaskStore } from './task-store.ts';
import { internalError, invalidParameter, messageFor, SimError } from './upstream-errors.ts';
import { usageOf } from './usage.ts';

export interface SubmitRouteOptions {
  guard: onRequestAsyncHookHandler;
  store: TaskStore;
  runningMs: number;
}

export const SUBMIT_PATH = '/api/v1/services/aigc/video-generation/video-synthesis';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export async function submitRoute(app: FastifyInstance, { guard, store, runningMs }: SubmitRouteOptions): Promise<void> {
  const flaky = new FlakyCounter();
  const lost = new FlakyCounter();
  app.post(SUBMIT_PATH, { onRequest: guard }, async (request, reply) => {
    const body = request.body;
    if (!isObject(body)) throw invalidParameter('The request body must be a JSON object.');
    const sent = isObject(body.input) ? body.input.prompt : undefined;
    const directed = typeof sent === 'string' ? extractDirectives(sent) : undefined;
    const directives = directed?.directives;

    if (directives?.reject) throw new SimError(directives.reject.status, directives.reject.code);
    if (directed && directives?.flaky !== undefined && flaky.shouldFail(directed.prompt, directives.flaky)) throw internalError();
    const submission = readSubmission(body, directed ? directed.prompt : sent);
    const task = store.create(
      {
        model: String(body.model),
        // DashScope echoes the prompt it was sent, directives included: how a gateway tells its
        // lost submits apart.
        prompt: typeof sent === 'string' && submission.prompt !== undefined ? echoedPrompt(sent) : submission.prompt,
        usage: usageOf(submission),
        failure: failureOf(directives),
        hidden: directives?.unknown ?? false,
        flakyQueries: directives?.flaky ?? 0,
        runningMs: directives?.runningMs ?? runningMs,
      },
      Date.now(),
    );
    if (directed && directives?.lost !== undefined && lost.shouldFail(directed.prompt, directives.lost)) {
      // The task exists; the client never learns its id.
      reply.hijack();
      request.raw.socket.destroy();
      return;
    }
    if (directives?.slowMs) await sleep(directives.slowMs);
    return { output: { task_status: 'PENDING', task_id: task.id }, request_id: request.id };
  });
}

function failureOf(directives: Directives | undefined): SimTask['failure'] {
  if (!directives?.fail) return null;
  const { code } = directives.fail;
  return code ? { code, message: messageFor(code) } : {};
}
