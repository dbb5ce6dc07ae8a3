// What every write measurement sends, shared by the gateway scenarios and the baselines so that
// both parse the same body and move the same amount of money.

export const SUBMIT_BODY = JSON.stringify({ model: 'wan2.7-t2v', prompt: 'bench', resolution: '720P', duration: 5 });

/** What the gateway's seeded prices charge for SUBMIT_BODY: 5 s × 0.1 USD/s × 500,000 units/USD. */
export const QUOTA_PER_SUBMIT = 250_000;

/** Every account's starting balance: no run can come close to spending it, so no submit is refused. */
export const STARTING_BALANCE = 10n ** 12n;

/**
 * The balance of the one customer who takes every request of a hot scenario: 400 billion
 * submits, so even a long run at the batched floor's rate never meets a refusal.
 */
export const HOT_BALANCE = 10n ** 17n;
