// Where the machine's CPU went during a measurement, process by process: on a small machine the
// load generator, the server under test, PostgreSQL and Redis share the same cores, so a server
// that is cheap per request can still be slow because the database's share per request is large,
// and the other way round. Read from /proc (Linux); elsewhere the figures are simply absent.
import { readdir, readFile } from 'node:fs/promises';

/** One process's CPU time so far, in clock ticks, and what it counts as. */
export interface ProcessCpu {
  group: CpuGroup;
  ticks: number;
}

/** CPU time of every process by pid; and the machine's busy and total ticks. */
export interface CpuSnapshot {
  processes: Map<number, ProcessCpu>;
  machine: { busy: number; total: number };
}

export interface CpuUsage {
  /** CPU microseconds per completed request of each group of processes. */
  perRequest: Record<CpuGroup, number>;
  /** How busy the machine's cores were, in percent of all of them. */
  busyPct: number;
}

export type CpuGroup = 'load' | 'server' | 'postgres' | 'redis' | 'other';
export const CPU_GROUPS: readonly CpuGroup[] = ['load', 'server', 'postgres', 'redis', 'other'];

/** Linux reports process times in USER_HZ, which is 100 on every architecture it ships for. */
const TICKS_PER_S = 100;

function groupOf(pid: number, comm: string): CpuGroup {
  // autocannon runs in the bench's own process; every server under test is a node child of it.
  if (pid === process.pid) return 'load';
  // Node.js names its main thread, and with it the process, MainThread.
  if (comm === 'node' || comm === 'MainThread') return 'server';
  if (comm.startsWith('postgres') || comm.startsWith('postmaster')) return 'postgres';
  if (comm.startsWith('redis-server')) return 'redis';
  return 'other';
}

/** The first line of /proc/stat: the ticks all cores spent in each state since boot. */
async function machineTicks(): Promise<CpuSnapshot['machine']> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  const busy = [user, nice, system, irq, softirq, steal].reduce<number>((sum, v) => sum + (v ?? 0), 0);
  return { busy, total: busy + (idle ?? 0) + (iowait ?? 0) };
}

/** A /proc/<pid>/stat line's command name and CPU time (user and system), in clock ticks. */
function parseStat(stat: string): { comm: string; ticks: number } {
  // The command name is in parentheses and may itself hold spaces or parentheses.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line; fields[0] here is field 3 (state).
  return { comm: stat.slice(open + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
}

const ticksToUs = (ticks: number): number => (ticks / TICKS_PER_S) * 1e6;

/** One process's CPU time so far (user and system), in microseconds. */
export async function processCpuUs(pid: number): Promise<number> {
  return ticksToUs(parseStat(await readFile(`/proc/${pid}/stat`, 'utf8')).ticks);
}

export async function snapshotCpu(): Promise<CpuSnapshot> {
  const processes: CpuSnapshot['processes'] = new Map();
  let entries: string[];
  let machine: CpuSnapshot['machine'];
  try {
    entries = await readdir('/proc');
    machine = await machineTicks();
  } catch {
    return { processes, machine: { busy: 0, total: 0 } };
  }
  await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => undefined);
        if (!stat) return;
        const { comm, ticks } = parseStat(stat);
        const pid = Number(name);
        processes.set(pid, { group: groupOf(pid, comm), ticks });
      }),
  );
  return { processes, machine };
}

/** One figure for each group, in CPU_GROUPS' order. */
const byGroup = (value: (group: CpuGroup) => number): Record<CpuGroup, number> =>
  Object.fromEntries(CPU_GROUPS.map((group) => [group, value(group)])) as Record<CpuGroup, number>;

/**
 * CPU microseconds per completed request of each group between two snapshots. A process that
 * started during the window counts from zero; one that ended is missing (its time is lost, so
 * the figures are a lower bound for short-lived processes, of which a measurement has none).
 */
export function cpuUsage(before: CpuSnapshot, after: CpuSnapshot, requests: number): CpuUsage {
  const ticks = byGroup(() => 0);
  for (const [pid, now] of after.processes) ticks[now.group] += now.ticks - (before.processes.get(pid)?.ticks ?? 0);
  const total = after.machine.total - before.machine.total;
  return {
    perRequest: byGroup((group) => (requests > 0 ? Math.round(ticksToUs(ticks[group]) / requests) : 0)),
    busyPct: total > 0 ? Math.round(((after.machine.busy - before.machine.busy) / total) * 100) : 0,
  };
}
