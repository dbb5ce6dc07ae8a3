// The human-readable table, then the one-line JSON summary that scripts read (always stdout's last
// line). Field names derive from measurement keys, so a new suite's figures appear without edits.
import { CPU_GROUPS } from './cpu-usage.ts';
import type { Measurement } from './measure.ts';

/** `key` = rps of measurement `of` / rps of measurement `to`. */
export interface Ratio {
  key: string;
  label: string;
  of: string;
  to: string;
}

const round = (value: number, digits: number): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

export function ratioValue(measurements: Measurement[], ratio: Ratio): number | null {
  const of = measurements.find((m) => m.key === ratio.of);
  const to = measurements.find((m) => m.key === ratio.to);
  return of && to && to.rps > 0 ? round(of.rps / to.rps, 3) : null;
}

export function formatTable(measurements: Measurement[], ratios: Ratio[]): string {
  const header = ['scenario', 'req/s', 'mean ms', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'errors', 'warm-up failures'];
  const rows = measurements.map((m) => [
    m.label,
    m.rps.toFixed(1),
    m.meanMs.toFixed(1),
    // autocannon records whole milliseconds, so decimals here would be noise.
    String(m.p50Ms),
    String(m.p99Ms),
    String(m.completed),
    String(m.non2xx),
    String(m.errors),
    String(m.warmupFailures),
  ]);
  const out = [formatColumns(header, rows)];
  for (const m of measurements) {
    const other = Object.entries(m.statusCodes).filter(([code]) => !code.startsWith('2'));
    if (other.length > 0) out.push(`  ${m.label}: status codes ${other.map(([code, n]) => `${code}×${n}`).join(', ')}`);
  }
  out.push('');
  for (const ratio of ratios) out.push(`${ratio.label}: ${ratioValue(measurements, ratio) ?? 'n/a'}`);
  out.push('', formatCpuTable(measurements));
  return out.join('\n');
}

/** CPU µs per request by group of processes: what each request cost the whole machine. */
function formatCpuTable(measurements: Measurement[]): string {
  const header = ['CPU µs per request', ...CPU_GROUPS, 'all', 'machine busy %'];
  const rows = measurements.map((m) => {
    const values = CPU_GROUPS.map((group) => m.cpu.perRequest[group]);
    return [m.label, ...values.map(String), String(values.reduce((a, b) => a + b, 0)), String(m.cpu.busyPct)];
  });
  return formatColumns(header, rows);
}

/** A plain-text table: the first column left-aligned, the figures right-aligned. */
function formatColumns(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function summary(measurements: Measurement[], ratios: Ratio[], extra: Record<string, number | string>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const m of measurements) {
    fields[`${m.key}_rps`] = round(m.rps, 1);
    fields[`${m.key}_mean_ms`] = round(m.meanMs, 1);
    fields[`${m.key}_p50_ms`] = round(m.p50Ms, 1);
    fields[`${m.key}_p99_ms`] = round(m.p99Ms, 1);
    fields[`${m.key}_requests`] = m.completed;
    fields[`${m.key}_non2xx`] = m.non2xx;
    fields[`${m.key}_errors`] = m.errors;
    for (const group of CPU_GROUPS) fields[`${m.key}_cpu_${group}_us`] = m.cpu.perRequest[group];
    fields[`${m.key}_cpu_busy_pct`] = m.cpu.busyPct;
  }
  for (const ratio of ratios) fields[ratio.key] = ratioValue(measurements, ratio);
  fields.warmup_failures = measurements.reduce((sum, m) => sum + m.warmupFailures, 0);
  fields.errors_total = measurements.reduce((sum, m) => sum + m.non2xx + m.errors + m.warmupFailures, 0);
  return { ...fields, ...extra };
}

/** A target for one field of the summary, e.g. the goals of an issue the bench judges. */
export interface Goal {
  field: string;
  atLeast?: number;
  atMost?: number;
}

const goalMet = (goal: Goal, value: unknown): boolean | null => {
  if (typeof value !== 'number') return null;
  return (goal.atLeast === undefined || value >= goal.atLeast) && (goal.atMost === undefined || value <= goal.atMost);
};

/** One line per goal: the target, the value of this run, and whether it was met. */
export function formatGoals(title: string, goals: Goal[], fields: Record<string, unknown>): string {
  const lines = goals.map((goal) => {
    const target = [goal.atLeast === undefined ? '' : `≥ ${goal.atLeast}`, goal.atMost === undefined ? '' : `≤ ${goal.atMost}`].filter(Boolean).join(' and ');
    const met = goalMet(goal, fields[goal.field]);
    return `  ${goal.field} ${target}: ${String(fields[goal.field] ?? 'n/a')} (${met === null ? 'not measured' : met ? 'met' : 'not met'})`;
  });
  return [`${title}:`, ...lines].join('\n');
}

export const goalsMet = (goals: Goal[], fields: Record<string, unknown>): number => goals.filter((goal) => goalMet(goal, fields[goal.field])).length;
