// Quota movements, for customers (their own) and operators (anyone's).
import { type LogEntry } from '../api/customer.ts';
import { dateTime, usd } from '../api/http.ts';
import { Table } from './ui.tsx';

export const LOG_TYPES: Record<number, string> = { 1: 'top-up', 2: 'charge', 3: 'manage', 4: 'system', 5: 'error', 6: 'refund' };

export function LogTable({ logs, showUser }: { logs: LogEntry[]; showUser?: boolean }) {
  const head = ['When', 'Type', ...(showUser ? ['User'] : []), 'Task', 'Model', 'Quota', 'Note'];
  return (
    <Table caption="Log entries" head={head}>
      {logs.map((log) => (
        <tr key={log.id}>
          <td>{dateTime(log.created_at)}</td>
          <td>{LOG_TYPES[log.type] ?? log.type}</td>
          {showUser ? <td>{log.user_id}</td> : null}
          <td className="mono">{log.task_id ?? '—'}</td>
          <td>{log.model || '—'}</td>
          <td className="num">
            {log.quota.toLocaleString()} ({usd(log.quota)})
          </td>
          <td>{log.content}</td>
        </tr>
      ))}
      {logs.length === 0 ? (
        <tr>
          <td colSpan={head.length}>Nothing yet.</td>
        </tr>
      ) : null}
    </Table>
  );
}
