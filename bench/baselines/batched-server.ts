// Batched baseline: concurrent submits share one statement and one commit. Requests that arrive in
// the same turn of the event loop are collected (at most MAX_BATCH) and charged together when the
// turn ends, or at once when MAX_BATCH are waiting; the amounts are summed per account, so an
// account's row is locked and written once per batch instead of once per request, and the batch
// pays for one WAL flush. At most `batchesInFlight` statements run at once and the next batch
// keeps filling meanwhile, as in the gateway's own batcher: sending every turn's few requests at
// once would make many small batches, which on one account only queue for its row lock. This is
// the floor for a gateway that batches its charges, and what one customer's burst can reach.
import { randomBytes, randomInt } from 'node:crypto';
import type pg from 'pg';
import { QUOTA_PER_SUBMIT } from '../workload.ts';
import { serveBaseline } from './serve.ts';

const MAX_BATCH = 128;

/*
 * One row per request, numbered in arrival order. The accounts are locked in id order (so that
 * concurrent batches queue instead of deadlocking) and read after the lock, so the balance is the
 * latest committed one. Within an account, requests are taken in order while the running total
 * stays within the balance: one that would overdraw is refused, the requests before it are not.
 * The debit is one UPDATE per account, and the tasks and logs are inserted only for accounts
 * whose debit happened.
 */
const SUBMIT_BATCH = {
  name: 'baseline-submit-batch',
  text: `
    WITH req AS (
      SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::text[], $5::text[])
        WITH ORDINALITY AS r(account_id, amount, public_id, model, request, n)
    ), locked AS MATERIALIZED (
      SELECT id, balance FROM accounts WHERE id IN (SELECT account_id FROM req) ORDER BY id FOR UPDATE
    ), accepted AS (
      SELECT * FROM (
        SELECT req.*, locked.balance, sum(req.amount) OVER (PARTITION BY req.account_id ORDER BY req.n) AS spent
        FROM req JOIN locked ON locked.id = req.account_id
      ) running
      WHERE spent <= balance
    ), debit AS (
      UPDATE accounts SET balance = accounts.balance - total.amount, used = accounts.used + total.amount, updated_at = now()
      FROM (SELECT account_id, sum(amount) AS amount FROM accepted GROUP BY account_id) total
      WHERE accounts.id = total.account_id AND accounts.balance >= total.amount
      RETURNING accounts.id
    ), task AS (
      INSERT INTO tasks (public_id, user_id, model, quota, request)
      SELECT public_id, account_id, model, amount, request::jsonb FROM accepted WHERE account_id IN (SELECT id FROM debit)
      RETURNING public_id
    ), log AS (
      INSERT INTO logs (type, user_id, task_id, quota, content)
      SELECT 2, account_id, public_id, amount, 'consume ' || model FROM accepted WHERE account_id IN (SELECT id FROM debit)
    )
    SELECT public_id FROM task`,
};

interface Submit {
  userId: number;
  publicId: string;
  model: string;
  request: string;
  /** true: charged and recorded; false: refused for want of balance. */
  resolve: (charged: boolean) => void;
  reject: (err: unknown) => void;
}

class SubmitBatcher {
  readonly #pool: pg.Pool;
  readonly #maxInFlight: number;
  #pending: Submit[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(pool: pg.Pool, maxInFlight: number) {
    this.#pool = pool;
    this.#maxInFlight = maxInFlight;
  }

  charge(submit: Omit<Submit, 'resolve' | 'reject'>): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ ...submit, resolve, reject });
      if (this.#pending.length >= MAX_BATCH && this.#inFlight < this.#maxInFlight) this.#send();
      else this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#pending.length === 0 || this.#inFlight >= this.#maxInFlight) return;
    this.#scheduled = true;
    // After the I/O callbacks of this turn: every request already read joins the batch.
    setImmediate(() => {
      this.#scheduled = false;
      while (this.#pending.length > 0 && this.#inFlight < this.#maxInFlight) this.#send();
    });
  }

  #send(): void {
    const batch = this.#pending.splice(0, MAX_BATCH);
    const values = [
      batch.map((s) => s.userId),
      batch.map(() => QUOTA_PER_SUBMIT),
      batch.map((s) => s.publicId),
      batch.map((s) => s.model),
      batch.map((s) => s.request),
    ];
    this.#inFlight += 1;
    this.#pool
      .query<{ public_id: string }>({ ...SUBMIT_BATCH, values })
      .then(
        ({ rows }) => {
          const charged = new Set(rows.map((row) => row.public_id));
          for (const s of batch) s.resolve(charged.has(s.publicId));
        },
        (err: unknown) => {
          for (const s of batch) s.reject(err);
        },
      )
      .finally(() => {
        this.#inFlight -= 1;
        this.#schedule();
      });
  }
}

await serveBaseline((app, pool, { users, batchesInFlight }) => {
  const batcher = new SubmitBatcher(pool, batchesInFlight);
  app.post<{ Body: { model?: string } }>('/v1/tasks', async (request, reply) => {
    const userId = randomInt(1, users + 1);
    const publicId = `task_${randomBytes(16).toString('hex')}`;
    const model = request.body.model ?? '';
    const charged = await batcher.charge({ userId, publicId, model, request: JSON.stringify(request.body) });
    if (!charged) return reply.code(402).send({ error: 'insufficient balance' });
    return { id: publicId, status: 'queued' };
  });
});
