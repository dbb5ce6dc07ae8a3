// Server-sent events for one task: its state at once, then a message at every change (the same
// object the matching GET returns; with `queue_position` until the task is sent upstream), an
// `end` event after the final state, and the stream closes. A comment every KEEP_ALIVE_MS keeps
// proxies from closing a quiet stream. Each message's id is the task's last change (ms), so a
// client that reconnects with Last-Event-ID gets only what it has not seen; reconnecting after the
// end gets 204, which tells an EventSource to stop.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TaskChange } from '../../db/listener.ts';
import type { TaskEvents } from './task-events.ts';
import type { TaskRow } from './tasks.repository.ts';

const KEEP_ALIVE_MS = 15_000;
/** Positions in the queue are recounted at most this often per stream. */
const POSITION_EVERY_MS = 1_000;
const FINAL = new Set(['SUCCESS', 'FAILURE']);

export interface TaskStreamOptions {
  events: TaskEvents;
  /** The task as the matching GET would show it now. */
  load: () => Promise<TaskRow>;
  /** The object the matching GET returns, and the status it shows. */
  render: (task: TaskRow) => Promise<{ body: object; status: string }>;
  queuePosition: (task: TaskRow) => Promise<number>;
  /** Streams open now, closed when the server shuts down. */
  open: OpenStreams;
}

/** The closers of the event streams open now; once closed, a stream that opens is closed after its first message. */
export class OpenStreams {
  private readonly closers = new Set<() => void>();
  private closed = false;

  add(close: () => void): void {
    if (this.closed) close();
    else this.closers.add(close);
  }

  delete(close: () => void): void {
    this.closers.delete(close);
  }

  /** The server is shutting down: every stream ends now, and any opened while it drains. */
  closeAll(): void {
    this.closed = true;
    for (const close of [...this.closers]) close();
  }
}

export async function streamTask(request: FastifyRequest, reply: FastifyReply, options: TaskStreamOptions): Promise<void> {
  const first = await options.load();
  const lastSeen = request.headers['last-event-id'];
  const eventId = (task: TaskRow) => String(task.updatedAt.getTime());
  if (FINAL.has(first.status) && lastSeen === eventId(first)) {
    await reply.status(204).send();
    return;
  }

  reply.hijack();
  const out = reply.raw;
  // The security headers every answer carries (security-headers.ts), which a hijacked reply leaves behind.
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) out.setHeader(name, value);
  out.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  });

  let sent = typeof lastSeen === 'string' ? lastSeen : '';
  let lastData = '';
  let closed = false;
  let lastPosition = 0;
  let positionTimer: NodeJS.Timeout | undefined;
  let busy: Promise<void> = Promise.resolve();

  const write = (text: string) => {
    if (!closed) out.write(text);
  };
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    clearTimeout(positionTimer);
    stopFollowing();
    stopModel();
    stopGap();
    options.open.delete(close);
    out.end();
  };

  const publish = async (task: TaskRow) => {
    if (task.status !== 'NOT_START') stopModel();
    const rendered = await options.render(task);
    const body: Record<string, unknown> = { ...rendered.body };
    if (task.status === 'NOT_START') body.queue_position = await options.queuePosition(task);
    const id = `${eventId(task)}${body.queue_position === undefined ? '' : `.${body.queue_position as number}`}`;
    const data = JSON.stringify(body);
    // A change the client cannot see (a poll that found the task where it was) is not an event.
    if (id !== sent && data !== lastData) {
      sent = id;
      lastData = data;
      write(`id: ${id}\ndata: ${data}\n\n`);
    }
    if (FINAL.has(task.status)) {
      write(`event: end\ndata: ${JSON.stringify({ status: rendered.status })}\n\n`);
      close();
    }
  };
  // One refresh at a time, in order; a failed read leaves the stream as it is until the next change.
  const refresh = () => {
    busy = busy.then(async () => {
      if (!closed) await publish(await options.load());
    }).catch(() => {});
  };

  const stopFollowing = options.events.follow(first.taskId, refresh);
  // Until it is submitted, tasks of its model leaving the queue move it forward.
  const stopModel = options.events.followAll((change: TaskChange) => {
    if (change.model !== first.model || change.status === 'NOT_START' || positionTimer) return;
    const wait = Math.max(0, lastPosition + POSITION_EVERY_MS - Date.now());
    positionTimer = setTimeout(() => {
      positionTimer = undefined;
      lastPosition = Date.now();
      refresh();
    }, wait);
  });
  const stopGap = options.events.onGap(refresh);
  const keepAlive = setInterval(() => write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  request.raw.on('close', close);

  await publish(first);
  // After the first message, so that a stream opened while the server drains still gets the task's state.
  if (!closed) options.open.add(close);
}
