// The operator's landing page: the last 30 days (GET /admin/usage by day) and the system now
// (GET /admin/system: queues, channel health, open tasks, workers alive), refreshed every 10 s.
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { Link } from 'wouter';
import { dateTime, usd } from '../../api/http.ts';
import { type AdminUsageRow, operatorApi } from '../../api/operator.ts';
import { ErrorNote, Section, Status, Table } from '../../components/ui.tsx';
import { toChartRows } from './usage-rows.ts';

// Charts are the heaviest library here: loaded only when a chart is on screen.
const UsageChart = lazy(() => import('../../charts/usage-chart.tsx'));

function totals(rows: AdminUsageRow[]) {
  const sum = (key: keyof Omit<AdminUsageRow, 'bucket'>) => rows.reduce((total, row) => total + row[key], 0);
  const succeeded = sum('succeeded');
  const failed = sum('failed');
  return {
    tasks: sum('tasks'),
    succeeded,
    failed,
    successRate: succeeded + failed ? `${((100 * succeeded) / (succeeded + failed)).toFixed(1)}%` : '—',
    charged: sum('quota_charged'),
    refunded: sum('quota_refunded'),
    net: sum('quota_net'),
  };
}

function Figures({ title, rows, testId }: { title: string; rows: AdminUsageRow[]; testId: string }) {
  const t = totals(rows);
  return (
    <Section title={title}>
      <dl data-testid={testId}>
        <dt>Tasks charged</dt>
        <dd data-testid={`${testId}-tasks`}>{t.tasks}</dd>
        <dt>Succeeded / failed</dt>
        <dd>
          {t.succeeded} / {t.failed} (success rate {t.successRate})
        </dd>
        <dt>Charged</dt>
        <dd data-testid={`${testId}-charged`}>{usd(t.charged)}</dd>
        <dt>Refunded</dt>
        <dd>{usd(t.refunded)}</dd>
        <dt>Net</dt>
        <dd>{usd(t.net)}</dd>
      </dl>
    </Section>
  );
}

export function Dashboard() {
  const usage = useQuery({ queryKey: ['admin', 'usage', 'dashboard'], queryFn: () => operatorApi.usage({ group_by: 'day' }), refetchInterval: 60_000 });
  const system = useQuery({ queryKey: ['admin', 'system'], queryFn: operatorApi.system, refetchInterval: 10_000 });
  const s = system.data;
  const rows = usage.data?.data ?? [];
  const today = usage.data?.to;
  return (
    <>
      <h1>Dashboard</h1>
      <ErrorNote error={usage.error ?? system.error} />
      <div className="grid">
        <Figures title="Today (UTC)" rows={rows.filter((row) => row.bucket === today)} testId="today" />
        <Figures title={usage.data ? `Last 30 days (${usage.data.from} to ${usage.data.to})` : 'Last 30 days'} rows={rows} testId="month" />
        {s ? (
          <Section title="Open tasks">
            <dl data-testid="open-tasks">
              {Object.entries(s.open_tasks).map(([status, count]) => (
                <div key={status}>
                  <dt>
                    <Link href={`/admin/tasks?status=${status}`}>{status.replace('_', ' ').toLowerCase()}</Link>
                  </dt>
                  <dd data-testid={`open-${status}`}>{count}</dd>
                </div>
              ))}
            </dl>
          </Section>
        ) : null}
      </div>
      <Section title="Charged and refunded per day">
        <Suspense fallback={<p aria-busy="true">Loading the chart…</p>}>{usage.data ? <UsageChart rows={toChartRows(rows)} /> : null}</Suspense>
      </Section>
      {s ? (
        <>
          <Section title="Queues">
            {s.queues_error ? <p className="error">Queue depths unavailable: {s.queues_error}</p> : null}
            <Table caption="Queue depths" head={['Queue', 'Waiting', 'Active', 'Delayed', 'Failed']}>
              {Object.entries(s.queues).map(([name, counts]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  {counts ? (
                    <>
                      <td className="num">{counts.waiting}</td>
                      <td className="num">{counts.active}</td>
                      <td className="num">{counts.delayed}</td>
                      <td className="num">{counts.failed}</td>
                    </>
                  ) : (
                    <td colSpan={4}>unknown</td>
                  )}
                </tr>
              ))}
            </Table>
          </Section>
          <Section title="Channel health" actions={<Link href="/admin/channels">All channels</Link>}>
            <Table caption="Channels and their last errors" head={['Id', 'Name', 'Status', 'Last error', 'Next re-test']}>
              {s.channels.map((c) => (
                <tr key={c.id}>
                  <td>{c.id}</td>
                  <td>{c.name}</td>
                  <td>
                    <Status value={c.status} />
                  </td>
                  <td>{c.last_error || '—'}</td>
                  <td>{dateTime(c.retest_at)}</td>
                </tr>
              ))}
            </Table>
          </Section>
          <Section title={`Workers alive: ${s.workers.length}`}>
            <Table caption="Workers alive" head={['Worker', 'Host', 'PID', 'Queues', 'Version', 'Started', 'Last seen']}>
              {s.workers.map((w) => (
                <tr key={w.id}>
                  <td className="mono">{w.id}</td>
                  <td>{w.host}</td>
                  <td className="num">{w.pid}</td>
                  <td>{w.queues.join(', ')}</td>
                  <td>{w.version}</td>
                  <td>{dateTime(w.started_at)}</td>
                  <td>{dateTime(w.last_seen)}</td>
                </tr>
              ))}
              {s.workers.length === 0 ? (
                <tr>
                  <td colSpan={7}>No worker has reported in the last 15 s: tasks are not being processed.</td>
                </tr>
              ) : null}
            </Table>
          </Section>
        </>
      ) : null}
    </>
  );
}
