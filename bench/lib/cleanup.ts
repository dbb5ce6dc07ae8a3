// Undo steps registered as resources are created, run newest first, so a failure at any point
// still removes what exists (children before the databases they hold connections to).

interface Step {
  label: string;
  run: () => Promise<unknown>;
}

export class Cleanup {
  private readonly steps: Step[] = [];
  private running: Promise<void> | undefined;

  add(label: string, run: () => Promise<unknown>): void {
    this.steps.push({ label, run });
  }

  /** Safe to call more than once (normal end and a signal may race); later calls join the first. */
  runAll(): Promise<void> {
    this.running ??= this.drain();
    return this.running;
  }

  private async drain(): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await step.run();
      } catch (err) {
        // One failed step must not leave the later ones undone.
        console.error(`[bench] cleanup "${step.label}" failed:`, err);
      }
    }
  }
}
