// A storm: for a while every submit and query answers the same error, as DashScope does when it
// throttles an account (429 Throttling) or has an outage of its own (500/503). Switched on at run
// time by whoever holds the simulator (the chaos run), not by a prompt: it hits every task at once.
import { SimError } from './upstream-errors.ts';

export interface StormSpec {
  /** 429 answers Throttling.RateQuota; a 5xx answers InternalError. */
  status: 429 | 500 | 502 | 503;
  forMs: number;
}

export class Storm {
  private until = 0;
  private status: StormSpec['status'] = 429;

  start({ status, forMs }: StormSpec, now = Date.now()): void {
    this.status = status;
    this.until = now + forMs;
  }

  stop(): void {
    this.until = 0;
  }

  /** Throws the storm's error while one is on. */
  check(now = Date.now()): void {
    if (now >= this.until) return;
    throw new SimError(this.status, this.status === 429 ? 'Throttling.RateQuota' : 'InternalError');
  }
}
