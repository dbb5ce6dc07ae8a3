// DashScope's per-key request budgets, as a sliding one-second window: a request is admitted when
// fewer than `limit` requests of its kind were admitted in the 1000 ms before it. Sliding is the
// strictest reading of "N per second", so a client that never trips it fits any fixed-window or
// per-calendar-second reading upstream may use too. Throttled requests do not use up budget.
//
// Besides limiting, it records what clients did, so tests and benchmarks can prove a client kept
// to the limits: the peak counts every request, throttled or not.

const WINDOW_MS = 1000;

export interface KindStats {
  /** Authenticated requests of this kind, throttled or not. */
  requests: number;
  throttled: number;
  /** Most requests (throttled included) within any 1000 ms; at most `limit` for a polite client. */
  peakPerSecond: number;
  limit: number;
}

/** Timestamps within the last WINDOW_MS, oldest first; a head index keeps trimming O(1). */
class RecentTimes {
  #times: number[] = [];
  #head = 0;

  count(now: number): number {
    while (this.#head < this.#times.length && (this.#times[this.#head] as number) <= now - WINDOW_MS) this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
    return this.#times.length - this.#head;
  }

  add(now: number): void {
    this.#times.push(now);
  }
}

export class RateLimit {
  readonly #limit: number;
  readonly #admittedByKey = new Map<string, RecentTimes>();
  readonly #seen = new RecentTimes();
  #requests = 0;
  #throttled = 0;
  #peak = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Records a request by `key` at `now`; false when it is over the limit and must be throttled. */
  admit(key: string, now: number): boolean {
    this.#requests += 1;
    this.#seen.add(now);
    this.#peak = Math.max(this.#peak, this.#seen.count(now));
    let admitted = this.#admittedByKey.get(key);
    if (!admitted) {
      admitted = new RecentTimes();
      this.#admittedByKey.set(key, admitted);
    }
    if (admitted.count(now) >= this.#limit) {
      this.#throttled += 1;
      return false;
    }
    admitted.add(now);
    return true;
  }

  stats(): KindStats {
    return { requests: this.#requests, throttled: this.#throttled, peakPerSecond: this.#peak, limit: this.#limit };
  }
}
