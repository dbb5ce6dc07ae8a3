import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { customerApi } from '../../api/customer.ts';
import { dateTime } from '../../api/http.ts';
import { ErrorNote, Pager, Section, Status, Table, useCursorPages } from '../../components/ui.tsx';
import { isFinal } from '../../live-video.ts';

export function Tasks() {
  const pages = useCursorPages();
  const list = useQuery({
    queryKey: ['me', 'videos', pages.cursor],
    queryFn: () => customerApi.videos(pages.cursor),
    // Unfinished tasks on the page: look again every few seconds (the task page itself streams).
    refetchInterval: (query) => (query.state.data?.data.some((v) => !isFinal(v)) ? 3_000 : false),
  });
  const videos = list.data?.data ?? [];
  return (
    <>
      <h1>Tasks</h1>
      <Section title="Your videos" actions={<Link href="/playground" className="button">New video</Link>}>
        <ErrorNote error={list.error} />
        <Table caption="Videos" head={['Task', 'Model', 'Status', 'Progress', 'Created']}>
          {videos.map((v) => (
            <tr key={v.id}>
              <td className="mono">
                <Link href={`/tasks/${v.id}`}>{v.id}</Link>
              </td>
              <td>{v.model}</td>
              <td>
                <Status value={v.status} />
              </td>
              <td>
                <progress max={100} value={v.progress} aria-label={`Progress of ${v.id}`} /> {v.progress}%
              </td>
              <td>{dateTime(v.created_at)}</td>
            </tr>
          ))}
          {videos.length === 0 && list.isSuccess ? (
            <tr>
              <td colSpan={5}>No videos yet: try the playground.</td>
            </tr>
          ) : null}
        </Table>
        <Pager pages={pages} nextCursor={list.data?.has_more ? list.data.last_id : null} label="Tasks" />
      </Section>
    </>
  );
}
