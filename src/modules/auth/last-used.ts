// `api_keys.last_used_at` is informational, so it is written in batches rather than once per
// request: a busy key would otherwise turn every request into a row update.
import type { FastifyBaseLogger } from 'fastify';

export class LastUsedTracker {
  private pending = new Map<number, Date>();
  private timer: NodeJS.Timeout | undefined;
  private readonly write: (entries: [number, Date][]) => Promise<void>;
  private readonly log: FastifyBaseLogger;

  constructor(write: (entries: [number, Date][]) => Promise<void>, log: FastifyBaseLogger) {
    this.write = write;
    this.log = log;
  }

  touch(keyId: number): void {
    this.pending.set(keyId, new Date());
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending = new Map();
    await this.write(batch).catch((err: unknown) => this.log.warn({ err }, 'could not record API key last use'));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
