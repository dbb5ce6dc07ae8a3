import { Link } from 'wouter';
import { dateTime } from '../../api/http.ts';
import { Progress, VideoPlayer } from '../../components/video-player.tsx';
import { ErrorNote, Section } from '../../components/ui.tsx';
import { useLiveVideo } from '../../live-video.ts';

export function TaskPage({ id }: { id: string }) {
  const { video, via } = useLiveVideo(id);
  const v = video.data;
  return (
    <>
      <p>
        <Link href="/tasks">← All tasks</Link>
      </p>
      <h1 className="mono">{id}</h1>
      <ErrorNote error={video.error} />
      {v ? (
        <Section title="Task">
          <Progress video={v} via={via} />
          <dl>
            <dt>Model</dt>
            <dd>{v.model}</dd>
            <dt>Prompt</dt>
            {/* Rendered as text: a prompt is the customer's own words, never markup. */}
            <dd>{v.prompt ?? '—'}</dd>
            <dt>Length, size</dt>
            <dd>
              {v.seconds} s, {v.size}
            </dd>
            <dt>Created</dt>
            <dd>{dateTime(v.created_at)}</dd>
            {v.error ? (
              <>
                <dt>Failure</dt>
                <dd>{v.error.message}</dd>
              </>
            ) : null}
          </dl>
          <VideoPlayer video={v} />
        </Section>
      ) : null}
    </>
  );
}
