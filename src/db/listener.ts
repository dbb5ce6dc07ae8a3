// One LISTEN connection per process, shared by everything that follows changes made in
// PostgreSQL: the dispatcher (new tasks to queue) and the status stream (every change to a task a
// client can see). Task changes are announced by a trigger inside the transaction that makes them
// (prisma/migrations/*_foundation_dispatch_and_limits), so none is lost between a commit and a
// publish; the dispatchers' wake-up comes after a charge commits, and their sweep covers a lost
// one. While the connection is down notifications may be missed: after every reconnect the
// listener announces a gap, and each subscriber catches up by reading what it needs.
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';

export const CHANNELS = {
  /** A task row changed; the payload is a TaskChange. */
  taskChange: 'vgw_task_change',
  /** Tasks were accepted and wait in task_dispatch (sent after the charge commits, by wakeDispatchers); no payload. */
  dispatch: 'vgw_dispatch',
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

/** What the tasks_notify_change trigger says about a task that changed. */
export interface TaskChange {
  taskId: string;
  userId: number;
  model: string;
  status: 'NOT_START' | 'QUEUED' | 'IN_PROGRESS' | 'SUCCESS' | 'FAILURE';
  progress: number;
}

export function parseTaskChange(payload: string): TaskChange {
  const raw = JSON.parse(payload) as { t: string; u: number; m: string; s: TaskChange['status']; p: number };
  return { taskId: raw.t, userId: raw.u, model: raw.m, status: raw.s, progress: raw.p };
}

export interface ListenerOptions {
  url: string;
  connectTimeoutMs: number;
  log: FastifyBaseLogger;
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;

export class PgListener {
  private readonly options: ListenerOptions;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();
  private readonly gapHandlers = new Set<() => void>();
  private client: pg.Client | undefined;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private up = false;

  constructor(options: ListenerOptions) {
    this.options = options;
  }

  /** Whether notifications are being received right now. */
  get connected(): boolean {
    return this.up;
  }

  on(channel: Channel, handler: (payload: string) => void): () => void {
    const set = this.handlers.get(channel) ?? new Set();
    set.add(handler);
    this.handlers.set(channel, set);
    return () => set.delete(handler);
  }

  /** Called after every reconnect: notifications sent meanwhile may be lost. */
  onGap(handler: () => void): () => void {
    this.gapHandlers.add(handler);
    return () => this.gapHandlers.delete(handler);
  }

  /** Connects; rejects when the first connection fails (the caller's start-up decides what then). */
  async start(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.up = false;
    await this.client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url, connectionTimeoutMillis: this.options.connectTimeoutMs });
    client.on('notification', (message) => {
      for (const handler of this.handlers.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      for (const channel of Object.values(CHANNELS)) await client.query(`LISTEN ${channel}`);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    this.client = client;
    this.up = true;
    this.retryMs = RETRY_MIN_MS;
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    this.up = false;
    this.options.log.warn({ err }, 'lost the PostgreSQL notification connection; reconnecting');
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.connect().then(
        () => {
          this.options.log.info('PostgreSQL notification connection is back');
          for (const handler of this.gapHandlers) handler();
        },
        () => {
          this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
          this.scheduleReconnect();
        },
      );
    }, this.retryMs);
    this.retryTimer.unref();
  }
}
