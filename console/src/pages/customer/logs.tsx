import { useQuery } from '@tanstack/react-query';
import { customerApi } from '../../api/customer.ts';
import { LogTable } from '../../components/log-table.tsx';
import { ErrorNote, Pager, Section, useCursorPages } from '../../components/ui.tsx';

export function CustomerLogs() {
  const pages = useCursorPages();
  const logs = useQuery({ queryKey: ['me', 'logs', pages.cursor], queryFn: () => customerApi.logs(pages.cursor) });
  return (
    <>
      <h1>Logs</h1>
      <Section title="Quota movements">
        <ErrorNote error={logs.error} />
        {logs.data ? <LogTable logs={logs.data.data} /> : null}
        <Pager pages={pages} nextCursor={logs.data?.next_cursor} label="Logs" />
      </Section>
    </>
  );
}
