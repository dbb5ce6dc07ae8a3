// Who changed what (GET /admin/audit): every admin change and the worker's re-enabling of channels.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { dateTime } from '../../api/http.ts';
import { operatorApi } from '../../api/operator.ts';
import { ErrorNote, Field, FilterForm, Pager, Section, Table, useCursorPages } from '../../components/ui.tsx';

/** The fields a change touched, before → after (secrets arrive already redacted). */
function changed(before: Record<string, unknown> | null, after: Record<string, unknown> | null): string {
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  return keys
    .filter((key) => JSON.stringify(before?.[key]) !== JSON.stringify(after?.[key]))
    .map((key) => `${key}: ${JSON.stringify(before?.[key] ?? null)} → ${JSON.stringify(after?.[key] ?? null)}`)
    .join('; ');
}

export function Audit() {
  const [form, setForm] = useState({ actor: '', action: '', targetType: '', targetId: '' });
  const [filter, setFilter] = useState(form);
  const set = (key: keyof typeof form, value: string) => setForm((f) => ({ ...f, [key]: value }));
  const pages = useCursorPages();
  const audit = useQuery({
    queryKey: ['admin', 'audit', filter, pages.cursor],
    queryFn: () => operatorApi.audit({ actor: filter.actor, action: filter.action, target_type: filter.targetType, target_id: filter.targetId, cursor: pages.cursor }),
  });
  return (
    <>
      <h1>Audit</h1>
      <Section title="Filters">
        <FilterForm onApply={() => {
          pages.reset();
          setFilter(form);
        }}>
          <Field label="Actor" hint="Name or token id">
            {(id) => <input id={id} maxLength={128} value={form.actor} onChange={(e) => set('actor', e.target.value)} />}
          </Field>
          <Field label="Action" hint="e.g. user.topup">
            {(id) => <input id={id} maxLength={64} value={form.action} onChange={(e) => set('action', e.target.value)} />}
          </Field>
          <Field label="Target type" hint="user, key, channel, task…">
            {(id) => <input id={id} maxLength={32} value={form.targetType} onChange={(e) => set('targetType', e.target.value)} />}
          </Field>
          <Field label="Target id">{(id) => <input id={id} maxLength={128} value={form.targetId} onChange={(e) => set('targetId', e.target.value)} />}</Field>
          <button type="submit">Apply</button>
        </FilterForm>
      </Section>
      <Section title="Changes, newest first">
        <ErrorNote error={audit.error} />
        {audit.data ? (
          <Table caption="Audit entries" head={['When', 'Actor', 'Action', 'Target', 'Change', 'Request', 'Address']}>
            {audit.data.data.map((entry) => (
              <tr key={entry.id}>
                <td>{dateTime(entry.created_at)}</td>
                <td>
                  {entry.actor.name}
                  {entry.actor.token_id === null ? '' : ` (token ${entry.actor.token_id})`}
                </td>
                <td>{entry.action}</td>
                <td className="mono">
                  {entry.target_type} {entry.target_id}
                </td>
                <td className="mono">{changed(entry.before, entry.after) || '—'}</td>
                <td className="mono">{entry.request_id}</td>
                <td className="mono">{entry.ip}</td>
              </tr>
            ))}
            {audit.data.data.length === 0 ? (
              <tr>
                <td colSpan={7}>Nothing matches.</td>
              </tr>
            ) : null}
          </Table>
        ) : null}
        <Pager pages={pages} nextCursor={audit.data?.next_cursor} label="Audit" />
      </Section>
    </>
  );
}
