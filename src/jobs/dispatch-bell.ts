// Tells the dispatchers that submits were charged: at most one wake-up in flight per process, and
// one more after it when more submits were charged meanwhile, so a burst costs a few wake-ups,
// not one per batch.
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.ts';
import { wakeDispatchers } from './dispatch.repository.ts';

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
      // A wake-up that cannot be sent is made up by the dispatchers' sweep within a second.
      await wakeDispatchers(this.db).catch((err: unknown) => this.log.debug({ err }, 'could not wake the dispatchers'));
    } while (this.again);
    this.ringing = false;
  }
}
