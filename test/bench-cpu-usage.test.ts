// The bench's CPU accounting (bench/lib/cpu-usage.ts): which process counts as what, and the
// arithmetic from clock ticks to microseconds per request.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpuUsage, type CpuSnapshot, type ProcessCpu, snapshotCpu } from '../bench/lib/cpu-usage.ts';

const snapshot = (processes: [number, ProcessCpu][], busy: number, total: number): CpuSnapshot => ({
  processes: new Map(processes),
  machine: { busy, total },
});

describe('the bench CPU accounting', () => {
  it('turns ticks into CPU microseconds per request for each group, and the busy share of all cores', () => {
    const before = snapshot(
      [
        [1, { group: 'load', ticks: 100 }],
        [2, { group: 'server', ticks: 50 }],
        [3, { group: 'postgres', ticks: 10 }],
      ],
      1_000,
      4_000,
    );
    // Process 4 started during the run: it counts from zero. Process 3 ended: its time is lost.
    const after = snapshot(
      [
        [1, { group: 'load', ticks: 150 }],
        [2, { group: 'server', ticks: 250 }],
        [4, { group: 'postgres', ticks: 30 }],
      ],
      1_300,
      4_400,
    );
    // 10,000 requests: 50 ticks of 10 ms = 0.5 s = 50 µs each.
    expect(cpuUsage(before, after, 10_000)).toEqual({
      perRequest: { load: 50, server: 200, postgres: 30, redis: 0, other: 0 },
      busyPct: 75,
    });
    expect(cpuUsage(before, after, 0).perRequest.server).toBe(0);
  });

  it.runIf(process.platform === 'linux')('finds this process as the load and a Node.js child as a server, with their CPU time', async () => {
    // Spins until it has used 200 ms of CPU (however busy the machine), says so, and idles.
    const spin = 'while (process.cpuUsage().user < 200_000); console.log("spun"); setTimeout(() => {}, 10_000)';
    const child = spawn(process.execPath, ['-e', spin]);
    try {
      await new Promise((resolve) => child.stdout.once('data', resolve));
      const now = await snapshotCpu();
      expect(now.processes.get(process.pid)?.group).toBe('load');
      const server = now.processes.get(child.pid as number);
      expect(server?.group).toBe('server');
      // 200 ms of user time is 20 ticks of 10 ms, start-up besides.
      expect(server?.ticks).toBeGreaterThanOrEqual(20);
      expect(now.machine.total).toBeGreaterThan(now.machine.busy);
    } finally {
      child.kill();
    }
  });
});
