import { describe, expect, it } from 'vitest';
import { runningProgress } from '../../src/worker/progress.ts';

const at = (ms: number) => new Date(1_800_000_000_000 + ms);

describe('runningProgress', () => {
  it('starts at 20, grows with time and never reaches 100', () => {
    const values = [0, 10_000, 60_000, 120_000, 600_000, 86_400_000].map((ms) => runningProgress('t2v', at(0), at(ms)));
    expect(values[0]).toBe(20);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]!);
    expect(values.at(-1)).toBe(95);
    expect(Math.max(...values)).toBeLessThan(100);
  });

  it('paces videoedit, which runs for minutes, more slowly', () => {
    expect(runningProgress('videoedit', at(0), at(60_000))).toBeLessThan(runningProgress('t2v', at(0), at(60_000)));
  });
});
