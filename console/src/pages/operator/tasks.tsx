// Every user's tasks, filtered and paged; unfinished ones refresh every 3 s.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearch } from 'wouter';
import { dateTime, usd } from '../../api/http.ts';
import { operatorApi, TASK_STATUSES } from '../../api/operator.ts';
import { ErrorNote, Field, FilterForm, Pager, Section, Status, Table, useCursorPages } from '../../components/ui.tsx';

const UNFINISHED = new Set(['NOT_START', 'QUEUED', 'IN_PROGRESS']);

export function AdminTasks() {
  const initial = new URLSearchParams(useSearch());
  const [form, setForm] = useState({ status: initial.get('status') ?? '', model: initial.get('model') ?? '', userId: initial.get('user_id') ?? '', keyId: initial.get('key_id') ?? '' });
  const [filter, setFilter] = useState(form);
  const set = (key: keyof typeof form, value: string) => setForm((f) => ({ ...f, [key]: value }));
  const pages = useCursorPages();
  const tasks = useQuery({
    queryKey: ['admin', 'tasks', filter, pages.cursor],
    queryFn: () => operatorApi.tasks({ status: filter.status, model: filter.model.trim(), user_id: filter.userId, key_id: filter.keyId, cursor: pages.cursor }),
    refetchInterval: (query) => (query.state.data?.data.some((t) => UNFINISHED.has(t.status)) ? 3000 : false),
  });
  return (
    <>
      <h1>Tasks</h1>
      <Section title="Filters">
        <FilterForm onApply={() => {
          pages.reset();
          setFilter(form);
        }}>
          <Field label="Status">
            {(id) => (
              <select id={id} value={form.status} onChange={(e) => set('status', e.target.value)}>
                <option value="">any</option>
                {TASK_STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Model">{(id) => <input id={id} maxLength={128} value={form.model} onChange={(e) => set('model', e.target.value)} />}</Field>
          <Field label="User id">{(id) => <input id={id} type="number" min={1} value={form.userId} onChange={(e) => set('userId', e.target.value)} />}</Field>
          <Field label="Key id">{(id) => <input id={id} type="number" min={1} value={form.keyId} onChange={(e) => set('keyId', e.target.value)} />}</Field>
          <button type="submit">Apply</button>
        </FilterForm>
      </Section>
      <Section title="Tasks, newest first">
        <ErrorNote error={tasks.error} />
        {tasks.data ? (
          <Table caption="Task list" head={['Task', 'User', 'Key', 'Model', 'Status', 'Progress', 'Charged', 'Channel', 'Submitted', 'Failure']}>
            {tasks.data.data.map((t) => (
              <tr key={t.task_id}>
                <td className="mono">
                  <Link href={`/admin/tasks/${t.task_id}`}>{t.task_id}</Link>
                </td>
                <td>
                  <Link href={`/admin/users/${t.user_id}`}>{t.user_id}</Link>
                </td>
                <td>{t.key_id ?? '—'}</td>
                <td>{t.model}</td>
                <td>
                  <Status value={t.status} />
                </td>
                <td className="num">{t.progress}%</td>
                <td className="num">{usd(t.quota)}</td>
                <td>{t.channel_id ?? '—'}</td>
                <td>{dateTime(t.submit_time)}</td>
                <td>{t.fail_reason || '—'}</td>
              </tr>
            ))}
            {tasks.data.data.length === 0 ? (
              <tr>
                <td colSpan={10}>No task matches.</td>
              </tr>
            ) : null}
          </Table>
        ) : null}
        <Pager pages={pages} nextCursor={tasks.data?.next_cursor} label="Tasks" />
      </Section>
    </>
  );
}
