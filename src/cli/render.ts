// How the CLI shows answers: tables for people, JSON for scripts (--json).
import Table from 'cli-table3';

type Row = Record<string, unknown>;

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
};

/** A list as a table with the given columns (all of the first row's when none are given). */
export function table(rows: Row[], columns?: string[]): string {
  const head = columns ?? Object.keys(rows[0] ?? {});
  const out = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) out.push(head.map((column) => cell(row[column])));
  return out.toString();
}

/** One record as field / value lines. */
export function record(row: Row): string {
  const out = new Table({ style: { head: [], border: [] } });
  for (const [field, value] of Object.entries(row)) out.push({ [field]: cell(value) });
  return out.toString();
}
