// What the database sessions of a process under test are doing, sampled from pg_stat_activity:
// the other half of "where the time goes" when the process itself is mostly idle, waiting for
// PostgreSQL. Each sample records every client session of the database (the sampler's own and
// LISTEN-only connections excepted) as running, waiting (and on what), or idle in the pool.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { monotonicUs } from './measure.ts';

const INTERVAL_MS = 10;

interface Sample {
  atUs: number;
  /** One label per session. */
  sessions: string[];
}

export interface WaitShare {
  label: string;
  /** Share of all session-samples. */
  percent: number;
}

export interface WaitSummary {
  samples: number;
  /** Sessions per sample, on average (the pool, as far as it was open). */
  sessions: number;
  shares: WaitShare[];
}

export interface WaitSampler {
  /** Stops sampling; the samples stay for summarize. */
  stop(): Promise<void>;
  summarize(window: { startUs: number; endUs: number }): WaitSummary;
}

// The notification connection's last statement is its LISTEN; it never does anything else.
const SESSIONS = `
  SELECT state, wait_event_type, wait_event FROM pg_stat_activity
  WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
    AND query NOT LIKE 'LISTEN %'`;

function label(row: { state: string | null; wait_event_type: string | null; wait_event: string | null }): string {
  if (row.state === 'active') return row.wait_event_type ? `waiting: ${row.wait_event_type} ${row.wait_event}` : 'running';
  if (row.state === 'idle') return 'idle (in the pool)';
  if (row.wait_event_type && row.wait_event_type !== 'Client') return `${row.state}, waiting: ${row.wait_event_type} ${row.wait_event}`;
  return row.state ?? 'unknown';
}

export async function sampleWaits(databaseUrl: string): Promise<WaitSampler> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const samples: Sample[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { rows } = await client.query(SESSIONS);
      samples.push({ atUs: monotonicUs(), sessions: rows.map(label) });
      await sleep(INTERVAL_MS);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop.finally(() => client.end());
    },
    summarize({ startUs, endUs }) {
      const inWindow = samples.filter((s) => s.atUs >= startUs && s.atUs < endUs);
      const counts = new Map<string, number>();
      let total = 0;
      for (const sample of inWindow) {
        for (const session of sample.sessions) counts.set(session, (counts.get(session) ?? 0) + 1);
        total += sample.sessions.length;
      }
      const shares = [...counts]
        .sort((a, b) => b[1] - a[1])
        .map(([name, n]) => ({ label: name, percent: Math.round((1000 * n) / total) / 10 }));
      return { samples: inWindow.length, sessions: inWindow.length ? Math.round((10 * total) / inWindow.length) / 10 : 0, shares };
    },
  };
}

export function formatWaitSummary(title: string, summary: WaitSummary): string {
  return [
    `${title}: ${summary.samples} samples of pg_stat_activity, ${summary.sessions} sessions each on average`,
    '',
    '| the gateway\'s database sessions | % |',
    '| --- | ---: |',
    ...summary.shares.filter((s) => s.percent >= 0.1).map((s) => `| ${s.label} | ${s.percent.toFixed(1)} |`),
  ].join('\n');
}
