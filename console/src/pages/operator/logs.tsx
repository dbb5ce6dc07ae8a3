import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearch } from 'wouter';
import { operatorApi } from '../../api/operator.ts';
import { LOG_TYPES, LogTable } from '../../components/log-table.tsx';
import { ErrorNote, Field, FilterForm, Pager, Section, useCursorPages } from '../../components/ui.tsx';

export function OperatorLogs() {
  const initial = new URLSearchParams(useSearch());
  const [userId, setUserId] = useState(initial.get('user_id') ?? '');
  const [taskId, setTaskId] = useState(initial.get('task_id') ?? '');
  const [type, setType] = useState('');
  const [filter, setFilter] = useState({ userId, taskId, type });
  const pages = useCursorPages();
  const params = {
    user_id: filter.userId ? Number(filter.userId) : undefined,
    task_id: filter.taskId || undefined,
    type: filter.type ? Number(filter.type) : undefined,
  };
  const logs = useQuery({ queryKey: ['admin', 'logs', filter, pages.cursor], queryFn: () => operatorApi.logs({ ...params, cursor: pages.cursor }) });
  // The export needs the admin token, which a plain link cannot send: fetched, then saved as a file.
  const csv = useMutation({
    mutationFn: () => operatorApi.logsCsv(params),
    onSuccess: (blob) => {
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = 'quota-logs.csv';
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    },
  });
  return (
    <>
      <h1>Quota logs</h1>
      <Section title="Filters">
        <FilterForm onApply={() => {
          pages.reset();
          setFilter({ userId, taskId, type });
        }}>
          <Field label="User id">{(id) => <input id={id} type="number" min={1} value={userId} onChange={(e) => setUserId(e.target.value)} />}</Field>
          <Field label="Task id">{(id) => <input id={id} value={taskId} onChange={(e) => setTaskId(e.target.value)} />}</Field>
          <Field label="Type">
            {(id) => (
              <select id={id} value={type} onChange={(e) => setType(e.target.value)}>
                <option value="">any</option>
                {Object.entries(LOG_TYPES).map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <button type="submit">Apply</button>
        </FilterForm>
      </Section>
      <Section
        title="Quota movements, newest first"
        actions={
          <button type="button" className="secondary" disabled={csv.isPending} onClick={() => csv.mutate()}>
            Download CSV (every matching row)
          </button>
        }
      >
        <ErrorNote error={csv.error} />
        <ErrorNote error={logs.error} />
        {logs.data ? <LogTable logs={logs.data.data} showUser /> : null}
        <Pager pages={pages} nextCursor={logs.data?.next_cursor} label="Logs" />
      </Section>
    </>
  );
}
