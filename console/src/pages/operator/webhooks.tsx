import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { dateTime } from '../../api/http.ts';
import { operatorApi } from '../../api/operator.ts';
import { ErrorNote, Field, FilterForm, Pager, Section, Table, useCursorPages } from '../../components/ui.tsx';

export function WebhookDeliveries() {
  const [taskId, setTaskId] = useState('');
  const [filter, setFilter] = useState('');
  const pages = useCursorPages();
  const deliveries = useQuery({
    queryKey: ['admin', 'webhooks', filter, pages.cursor],
    queryFn: () => operatorApi.webhookDeliveries({ task_id: filter || undefined, cursor: pages.cursor }),
  });
  const rows = deliveries.data?.data ?? [];
  return (
    <>
      <h1>Webhook deliveries</h1>
      <Section title="Filter">
        <FilterForm onApply={() => {
          pages.reset();
          setFilter(taskId.trim());
        }}>
          <Field label="Task id">{(id) => <input id={id} value={taskId} onChange={(e) => setTaskId(e.target.value)} />}</Field>
          <button type="submit">Apply</button>
        </FilterForm>
      </Section>
      <Section title="Attempts, newest first">
        <ErrorNote error={deliveries.error} />
        <Table caption="Webhook delivery attempts" head={['When', 'Task', 'Event', 'Attempt', 'URL', 'Answer', 'Time']}>
          {rows.map((d) => (
            <tr key={d.id}>
              <td>{dateTime(d.created_at)}</td>
              <td className="mono">{d.task_id}</td>
              <td>{d.event}</td>
              <td className="num">{d.attempt}</td>
              <td className="mono">{d.url}</td>
              <td>{d.delivered ? `delivered (${d.status_code})` : d.error || `HTTP ${d.status_code ?? '—'}`}</td>
              <td className="num">{d.duration_ms} ms</td>
            </tr>
          ))}
          {rows.length === 0 && deliveries.isSuccess ? (
            <tr>
              <td colSpan={7}>No deliveries.</td>
            </tr>
          ) : null}
        </Table>
        <Pager pages={pages} nextCursor={deliveries.data?.next_cursor} label="Deliveries" />
      </Section>
    </>
  );
}
