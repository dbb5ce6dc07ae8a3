// The chaos run's clients: they submit tasks with mixed simulator faults through whichever API is
// alive, each with an Idempotency-Key so that a retry after a cut connection or a 503 never pays
// twice, query tasks now and then, and tally every answer. A 5xx other than a 503 with Retry-After
// is what the run must never see.

export interface ClientTally {
  ok: number;
  /** 503 with Retry-After: the honest "not now", retried after the wait it asks for. */
  unavailable: number;
  unavailableWithoutRetryAfter: number;
  other5xx: number;
  /** 4xx answers (none expected: every body is valid and every user can pay). */
  refused: number;
  /** The API died under the request, or was not there: the client tries another one. */
  connectionErrors: number;
  /** Submits that never got a task id after every retry. */
  gaveUp: number;
  queries: number;
  /** A few unexpected answers, for the log. */
  samples: string[];
}

export interface ClientsOptions {
  customers: { userId: number; key: string }[];
  /** The API processes alive now. */
  apis: () => string[];
  runId: string;
}

const MAX_ATTEMPTS = 200;
const REQUEST_TIMEOUT_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const pick = <T>(items: T[]): T | undefined => items[Math.floor(Math.random() * items.length)];

/** One task's prompt: a directive for the simulator (weighted), made unique by `i` (flaky and lost count per prompt). */
export function chaosPrompt(i: number): string {
  const roll = Math.random();
  const directive =
    roll < 0.5 ? `[sim:ms=${300 + Math.floor(Math.random() * 2_500)}]`
    : roll < 0.6 ? '[sim:fail=InternalError]'
    : roll < 0.65 ? '[sim:fail]'
    : roll < 0.7 ? '[sim:reject=400:InvalidParameter]'
    : roll < 0.8 ? '[sim:flaky=2]'
    : roll < 0.87 ? '[sim:lost=1]'
    : roll < 0.92 ? '[sim:unknown]'
    : '[sim:slow=1500]';
  return `${directive} chaos task ${i}: a small cat running under moonlight`;
}

export class Clients {
  submitted = 0;
  done = false;
  readonly tally: ClientTally = { ok: 0, unavailable: 0, unavailableWithoutRetryAfter: 0, other5xx: 0, refused: 0, connectionErrors: 0, gaveUp: 0, queries: 0, samples: [] };
  private readonly options: ClientsOptions;
  private readonly tasks: { key: string; taskId: string }[] = [];
  private next = 0;

  constructor(options: ClientsOptions) {
    this.options = options;
  }

  /** Submits `count` tasks, `ratePerS` a second at most, over `concurrency` connections. */
  async run(count: number, concurrency: number, ratePerS: number): Promise<void> {
    const started = Date.now();
    const client = async () => {
      for (let i = this.next++; i < count; i = this.next++) {
        // Paced, so that the load lasts through every fault rather than passing before them.
        await sleep(started + (i * 1000) / ratePerS - Date.now());
        await this.submit(i);
        if (Math.random() < 0.3) await this.query();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, client));
    this.done = true;
  }

  private async submit(i: number): Promise<void> {
    const customer = this.options.customers[i % this.options.customers.length];
    if (!customer) throw new Error('the chaos run needs at least one customer');
    const body = JSON.stringify({ model: 'wan2.7-t2v', prompt: chaosPrompt(i), resolution: '720P', duration: 5 });
    const headers = { authorization: `Bearer ${customer.key}`, 'content-type': 'application/json', 'idempotency-key': `chaos-${this.options.runId}-${i}` };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const answer = await this.call('POST', '/v1/video/generations', headers, body);
      if (answer === 'retry') continue;
      if (answer.status === 200) {
        this.tasks.push({ key: customer.key, taskId: (answer.body as { id: string }).id });
        this.submitted++;
        return;
      }
      if (answer.status < 500) return this.giveUp();
    }
    this.giveUp();
  }

  private giveUp(): void {
    this.tally.gaveUp++;
    this.submitted++;
  }

  private async query(): Promise<void> {
    const task = pick(this.tasks);
    if (!task) return;
    this.tally.queries++;
    await this.call('GET', `/v1/videos/${task.taskId}`, { authorization: `Bearer ${task.key}` });
  }

  /** One request to a live API, tallied; 'retry' when it should be sent again (after the wait it asked for). */
  private async call(method: string, path: string, headers: Record<string, string>, body?: string): Promise<'retry' | { status: number; body: unknown }> {
    const api = pick(this.options.apis());
    if (!api) {
      await sleep(200);
      return 'retry';
    }
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${api}${path}`, { method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      text = await res.text();
    } catch {
      this.tally.connectionErrors++;
      await sleep(200);
      return 'retry';
    }
    const sample = () => {
      if (this.tally.samples.length < 10) this.tally.samples.push(`${method} ${path} → ${res.status} ${text.slice(0, 200)}`);
    };
    if (res.status < 400) {
      this.tally.ok++;
      return { status: res.status, body: JSON.parse(text) as unknown };
    }
    if (res.status === 503) {
      const retryAfter = Number(res.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) this.tally.unavailable++;
      else {
        this.tally.unavailableWithoutRetryAfter++;
        sample();
      }
      await sleep((Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1) * 1000);
      return method === 'POST' ? 'retry' : { status: 503, body: text };
    }
    if (res.status >= 500) {
      this.tally.other5xx++;
      sample();
      await sleep(500);
      return method === 'POST' ? 'retry' : { status: res.status, body: text };
    }
    this.tally.refused++;
    sample();
    return { status: res.status, body: text };
  }
}
