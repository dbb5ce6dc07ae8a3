// Tells the dispatchers that submits were charged: at most one wake-up in flight per process, and
// under a stream of submits at most one every MIN_GAP_MS, so a burst costs a wake-up per interval,
// not one per batch. Each wake-up makes the dispatchers take everything waiting, so a spaced bell
// delays no task by more than the gap; the first ring after a quiet moment goes at once.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.ts';
import { wakeDispatchers } from './dispatch.repository.ts';

/** Short beside the time a submit takes to reach the upstream (docs/benchmarks.md). */
export const MIN_GAP_MS = 10;

export class DispatchBell {
  private readonly db: Db;
  private readonly log: FastifyBaseLogger;
  private ringing = false;
  private again = false;

  constructor(db: Db, log: FastifyBaseLogger) {
    this.db = db;
    this.log = log;
  }

  ring(): void {
    if (this.ringing) {
      this.again = true;
      return;
    }
    this.ringing = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const started = performance.now();
      // A wake-up that cannot be sent is made up by the dispatchers' sweep within a second.
      await wakeDispatchers(this.db).catch((err: unknown) => this.log.debug({ err }, 'could not wake the dispatchers'));
      // Rings until the gap has passed are told together by the next wake-up.
      await sleep(Math.max(0, Math.ceil(MIN_GAP_MS - (performance.now() - started))));
    } while (this.again);
    this.ringing = false;
  }
}
