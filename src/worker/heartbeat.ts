// A worker process says it is alive: its row in worker_heartbeats is written at start, every
// HEARTBEAT_MS after, and deleted when it stops cleanly, so the API's /readyz (and operators) can
// tell how many workers consume which queues. In PostgreSQL rather than Redis, so that the answer
// survives Redis losing its data.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.ts';
import { GATEWAY_VERSION } from '../lib/version.ts';
import { forgetDeadWorkers, HEARTBEAT_MS, recordHeartbeat, removeHeartbeat, type WorkerIdentity } from './heartbeats.repository.ts';

export class Heartbeat {
  readonly identity: WorkerIdentity;
  private readonly db: Db;
  private readonly log: FastifyBaseLogger;
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private failing = false;

  constructor(db: Db, queues: string[], log: FastifyBaseLogger) {
    this.db = db;
    this.log = log;
    const host = hostname();
    // Several workers may share a host, and tests run several in one process.
    this.identity = { workerId: `${host}:${process.pid}:${randomBytes(4).toString('hex')}`, host, pid: process.pid, queues, version: GATEWAY_VERSION, startedAt: new Date() };
  }

  /** The first beat is written before this returns: a started worker is seen at once. */
  async start(): Promise<void> {
    await forgetDeadWorkers(this.db).catch((err: unknown) => this.log.warn({ err }, 'could not remove the heartbeats of long-dead workers'));
    await this.beat();
    this.timer = setInterval(() => {
      this.beating ??= this.beat().finally(() => (this.beating = undefined));
    }, HEARTBEAT_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    await removeHeartbeat(this.db, this.identity.workerId).catch((err: unknown) => this.log.warn({ err }, 'could not remove this worker\'s heartbeat; it will count as dead shortly'));
  }

  private async beat(): Promise<void> {
    try {
      await recordHeartbeat(this.db, this.identity);
      if (this.failing) this.log.info('heartbeat written again');
      this.failing = false;
    } catch (err) {
      // Said once per outage: the database being down is reported loudly elsewhere.
      if (!this.failing) this.log.warn({ err }, 'could not write this worker\'s heartbeat; retrying');
      this.failing = true;
    }
  }
}
