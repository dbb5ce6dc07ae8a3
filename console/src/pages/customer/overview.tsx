import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';
import { customerApi } from '../../api/customer.ts';
import { dateTime, usd } from '../../api/http.ts';
import { ErrorNote, Field, Section } from '../../components/ui.tsx';

// Charts are the heaviest library here: loaded only when a chart is on screen.
const UsageChart = lazy(() => import('../../charts/usage-chart.tsx'));

export function Overview() {
  const me = useQuery({ queryKey: ['me'], queryFn: customerApi.me });
  const [groupBy, setGroupBy] = useState<'day' | 'model'>('day');
  const [days, setDays] = useState(30);
  const usage = useQuery({ queryKey: ['me', 'usage', groupBy, days], queryFn: () => customerApi.usage(groupBy, days) });
  const m = me.data;
  return (
    <>
      <h1>Overview</h1>
      <ErrorNote error={me.error} />
      {m ? (
        <div className="grid">
          <Section title="Balance">
            <p className="big" data-testid="balance">
              {usd(m.balance.remaining)}
            </p>
            <dl>
              <dt>Left to spend</dt>
              <dd>{m.balance.remaining.toLocaleString()} quota</dd>
              <dt>Spent</dt>
              <dd data-testid="spent">
                {m.balance.spent.toLocaleString()} quota ({usd(m.balance.spent)})
              </dd>
              <dt>Account</dt>
              <dd>
                {m.user.name} (group {m.user.group})
              </dd>
            </dl>
          </Section>
          <Section title="This API key">
            <dl>
              <dt>Key</dt>
              <dd className="mono">{m.key.key_prefix}…</dd>
              <dt>Name</dt>
              <dd>{m.key.name || '—'}</dd>
              <dt>Models</dt>
              <dd>{m.key.models.length ? m.key.models.join(', ') : 'all'}</dd>
              <dt>Own spending limit</dt>
              <dd>{m.key.quota_limit === null ? 'none' : `${usd(m.key.quota_used)} of ${usd(m.key.quota_limit)}`}</dd>
              <dt>Expires</dt>
              <dd>{m.key.expires_at ? dateTime(m.key.expires_at) : 'never'}</dd>
            </dl>
          </Section>
        </div>
      ) : null}
      <Section
        title="Usage"
        actions={
          <div className="inline">
            <Field label="Group by">
              {(id) => (
                <select id={id} value={groupBy} onChange={(e) => setGroupBy(e.target.value as 'day' | 'model')}>
                  <option value="day">day</option>
                  <option value="model">model</option>
                </select>
              )}
            </Field>
            <Field label="Period">
              {(id) => (
                <select id={id} value={days} onChange={(e) => setDays(Number(e.target.value))}>
                  <option value={7}>7 days</option>
                  <option value={30}>30 days</option>
                  <option value={90}>90 days</option>
                </select>
              )}
            </Field>
          </div>
        }
      >
        <ErrorNote error={usage.error} />
        {usage.data ? (
          <Suspense fallback={<p aria-busy="true">Loading chart…</p>}>
            <UsageChart rows={usage.data.data} />
          </Suspense>
        ) : null}
      </Section>
    </>
  );
}
