// `[sim:flaky=N]` on submits: the first N submits of a prompt fail. Counting per prompt text, not
// per task, is what lets a retried submit of the same prompt use up the failures (the task that
// finally exists then fails its first N queries too; see SimTask.flakyQueries).

export class FlakyCounter {
  readonly #failures = new Map<string, number>();

  /** True (and counted) while fewer than `times` requests about `prompt` have failed. */
  shouldFail(prompt: string, times: number): boolean {
    const failed = this.#failures.get(prompt) ?? 0;
    if (failed >= times) return false;
    this.#failures.set(prompt, failed + 1);
    return true;
  }
}
