// Waiting for something another process does (a worker, the simulator, a child process).

export interface UntilOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Calls `probe` until it gives a value other than undefined, and returns that value; after
 * `timeoutMs` throws an error naming `what` (a function, to say how far things got).
 */
export async function until<T>(probe: () => Promise<T | undefined>, what: string | (() => string), { timeoutMs = 20_000, intervalMs = 50 }: UntilOptions = {}): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${typeof what === 'string' ? what : what()} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
