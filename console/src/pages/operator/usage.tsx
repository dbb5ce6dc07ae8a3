// Usage over whole UTC days (GET /admin/usage) by day, model, user or key, for everyone or one user.
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';
import { usd } from '../../api/http.ts';
import { operatorApi, type UsageGroupBy } from '../../api/operator.ts';
import { ErrorNote, Field, FilterForm, Section, Table } from '../../components/ui.tsx';
import { toChartRows } from './usage-rows.ts';

const UsageChart = lazy(() => import('../../charts/usage-chart.tsx'));

const BUCKET: Record<UsageGroupBy, string> = { day: 'Day', model: 'Model', user: 'User', key: 'Key (0: none)' };

export function AdminUsage() {
  const [form, setForm] = useState({ groupBy: 'day' as UsageGroupBy, from: '', to: '', userId: '' });
  const [filter, setFilter] = useState(form);
  const set = (key: keyof typeof form, value: string) => setForm((f) => ({ ...f, [key]: value }));
  const usage = useQuery({
    queryKey: ['admin', 'usage', filter],
    queryFn: () => operatorApi.usage({ group_by: filter.groupBy, from: filter.from || undefined, to: filter.to || undefined, user_id: filter.userId ? Number(filter.userId) : undefined }),
  });
  const rows = usage.data?.data ?? [];
  return (
    <>
      <h1>Usage</h1>
      <Section title="Report">
        <FilterForm onApply={() => setFilter(form)}>
          <Field label="Group by">
            {(id) => (
              <select id={id} value={form.groupBy} onChange={(e) => set('groupBy', e.target.value)}>
                <option value="day">day</option>
                <option value="model">model</option>
                <option value="user">user</option>
                <option value="key">key</option>
              </select>
            )}
          </Field>
          <Field label="From (UTC day)">{(id) => <input id={id} type="date" value={form.from} onChange={(e) => set('from', e.target.value)} />}</Field>
          <Field label="To (UTC day)">{(id) => <input id={id} type="date" value={form.to} onChange={(e) => set('to', e.target.value)} />}</Field>
          <Field label="User id">{(id) => <input id={id} type="number" min={1} value={form.userId} onChange={(e) => set('userId', e.target.value)} />}</Field>
          <button type="submit">Show</button>
        </FilterForm>
        <ErrorNote error={usage.error} />
        {usage.data ? (
          <p className="muted">
            {usage.data.from} to {usage.data.to}, both included (default: the last 30 days).
          </p>
        ) : null}
      </Section>
      {usage.data ? (
        <Section title={`By ${filter.groupBy}`}>
          <Table caption="Usage report" head={[BUCKET[filter.groupBy], 'Tasks charged', 'Succeeded', 'Failed', 'Seconds', 'Charged', 'Refunded', 'Net']}>
            {rows.map((row) => (
              <tr key={row.bucket}>
                <th scope="row">{row.bucket}</th>
                <td className="num">{row.tasks}</td>
                <td className="num">{row.succeeded}</td>
                <td className="num">{row.failed}</td>
                <td className="num">{row.seconds}</td>
                <td className="num">{usd(row.quota_charged)}</td>
                <td className="num">{usd(row.quota_refunded)}</td>
                <td className="num" data-testid={`admin-usage-net-${row.bucket}`}>
                  {usd(row.quota_net)}
                </td>
              </tr>
            ))}
            {rows.length === 0 ? (
              <tr>
                <td colSpan={8}>No usage in this period.</td>
              </tr>
            ) : null}
          </Table>
          {filter.groupBy === 'day' && rows.length ? (
            <Suspense fallback={<p aria-busy="true">Loading the chart…</p>}>
              <UsageChart rows={toChartRows(rows)} />
            </Suspense>
          ) : null}
        </Section>
      ) : null}
    </>
  );
}
