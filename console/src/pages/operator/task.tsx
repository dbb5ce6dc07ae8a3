// One task with everything the gateway knows (GET /admin/tasks/{id}): the record, the normalized
// request, the price snapshot, the upstream's raw answer, its video, its logs and webhooks; and,
// for a write token, ending it as FAILURE with a refund while it is unfinished. While it runs, its
// event stream (GET /admin/tasks/{id}/events) brings each change; polled if the stream fails.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { dateTime, usd } from '../../api/http.ts';
import { operatorApi, type TaskDetail } from '../../api/operator.ts';
import { LogTable } from '../../components/log-table.tsx';
import { ErrorNote, Field, LiveNote, Section, Status, Table } from '../../components/ui.tsx';
import { type LiveSource, useLiveTask } from '../../live-task.ts';
import { WriteOnly } from '../../session.tsx';

const UNFINISHED = new Set(['NOT_START', 'QUEUED', 'IN_PROGRESS']);

const adminTasks: LiveSource<TaskDetail> = {
  queryKey: (id) => ['admin', 'task', id],
  read: operatorApi.task,
  follow: operatorApi.followTask,
  // A video that succeeded is copied into the gateway's store after its stream has ended: the
  // page polls until the copy is made (or has failed), then shows it.
  isFinal: (task) => task !== undefined && !UNFINISHED.has(task.status) && task.result_copy !== 'pending',
};

/**
 * The gateway's own file links name its PUBLIC_BASE_URL, which may not be the origin this console
 * was opened at (localhost and 127.0.0.1; a proxy): this origin serves the same /files/ path, and
 * the Content-Security-Policy plays media from this origin (and from the S3 store's, whose
 * presigned links are left as they are).
 */
const playable = (url: string): string => {
  const parsed = new URL(url, window.location.origin);
  return parsed.pathname.startsWith('/files/') ? `${parsed.pathname}${parsed.search}` : url;
};

function ForceFail({ task }: { task: TaskDetail }) {
  const client = useQueryClient();
  const [reason, setReason] = useState('');
  const fail = useMutation({
    mutationFn: () => operatorApi.failTask(task.task_id, reason.trim()),
    onSuccess: () => client.invalidateQueries({ queryKey: ['admin', 'task', task.task_id] }),
  });
  return (
    <Section title="Force-fail">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          fail.mutate();
        }}
      >
        <Field label="Reason" hint='Ends the task as FAILURE with a full refund; the customer sees "Operator: " and this reason.'>
          {(id) => <input id={id} required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />}
        </Field>
        <ErrorNote error={fail.error} />
        {fail.data ? <p role="status">Ended; refunded {usd(fail.data.refunded)}.</p> : null}
        <button type="submit" className="danger" disabled={fail.isPending || !reason.trim()}>
          Force-fail task
        </button>
      </form>
    </Section>
  );
}

const Json = ({ value, label }: { value: unknown; label: string }) => (
  <pre className="json" role="region" aria-label={label} tabIndex={0}>
    {JSON.stringify(value, null, 2)}
  </pre>
);

export function AdminTaskPage({ id }: { id: string }) {
  const { task, via } = useLiveTask(adminTasks, id);
  const t = task.data;
  return (
    <>
      <p>
        <Link href="/admin/tasks">← Tasks</Link>
      </p>
      <h1>
        Task <span className="mono">{id}</span>
      </h1>
      <ErrorNote error={task.error} />
      {t ? (
        <>
          <div className="grid">
            <Section title="Record">
              <dl>
                <dt>Status</dt>
                <dd>
                  <span data-testid="task-status">
                    <Status value={t.status} /> {t.progress}%{t.queue_position ? ` (${t.queue_position} ahead in the queue)` : ''}
                  </span>{' '}
                  {UNFINISHED.has(t.status) ? <LiveNote via={via} /> : null}
                </dd>
                {t.fail_reason ? (
                  <>
                    <dt>Failure</dt>
                    <dd data-testid="task-fail-reason">{t.fail_reason}</dd>
                  </>
                ) : null}
                <dt>User / key</dt>
                <dd>
                  <Link href={`/admin/users/${t.user_id}`}>user {t.user_id}</Link> / {t.key_id === null ? 'no key' : `key ${t.key_id}`} (group {t.group})
                </dd>
                <dt>Model</dt>
                <dd>
                  {t.model} ({t.action}, upstream {t.upstream_model})
                </dd>
                <dt>Charged (net of refunds)</dt>
                <dd data-testid="task-quota">
                  {t.quota.toLocaleString()} quota ({usd(t.quota)})
                </dd>
                <dt>Channel</dt>
                <dd>{t.channel ? `${t.channel.name} (${t.channel.id}, ${t.channel.status})` : '—'}</dd>
                <dt>Upstream task</dt>
                <dd className="mono">{t.upstream_task_id ?? '—'}</dd>
                <dt>Submit attempts</dt>
                <dd>{t.attempts}</dd>
                <dt>Result copy</dt>
                <dd>{t.result_copy}</dd>
                <dt>Callback</dt>
                <dd className="mono">{t.callback_url ? `${t.callback_url} (${t.webhook_events.join(', ')})` : '—'}</dd>
                <dt>Submitted / started / finished</dt>
                <dd>
                  {dateTime(t.submit_time)} / {dateTime(t.start_time)} / {dateTime(t.finish_time)}
                </dd>
                {t.deleted ? (
                  <>
                    <dt>Deleted</dt>
                    <dd>by the client (kept for the books)</dd>
                  </>
                ) : null}
              </dl>
            </Section>
            {UNFINISHED.has(t.status) ? (
              <WriteOnly>
                <ForceFail task={t} />
              </WriteOnly>
            ) : null}
          </div>
          {t.result_url && t.result_copy === 'stored' ? (
            <Section title="Video">
              <figure className="player">
                <video src={playable(t.result_url)} controls preload="auto" playsInline aria-label={`Video ${t.task_id}`} data-testid="admin-result-video" />
                <figcaption>
                  <a href={playable(t.result_url)} download={`${t.task_id}.mp4`} className="button">
                    Download MP4
                  </a>
                </figcaption>
              </figure>
            </Section>
          ) : t.result_url ? (
            // The upstream's own link: the console's Content-Security-Policy plays media from the
            // gateway's store only, so it is offered as a link.
            <Section title="Video">
              <p data-testid="admin-result-link">
                {t.result_copy === 'pending' ? "The gateway's copy is being made; meanwhile " : 'The gateway keeps no copy; '}
                <a href={t.result_url} target="_blank" rel="noreferrer noopener">
                  the upstream's link
                </a>
                .
              </p>
            </Section>
          ) : null}
          <Section title="Quota logs of this task">
            <LogTable logs={t.logs} />
          </Section>
          <Section title="Webhook events">
            <Table caption="Webhook events" head={['Event', 'State', 'When']}>
              {t.webhooks.map((w) => (
                <tr key={w.event}>
                  <td>{w.event}</td>
                  <td>{w.state}</td>
                  <td>{dateTime(w.created_at)}</td>
                </tr>
              ))}
              {t.webhooks.length === 0 ? (
                <tr>
                  <td colSpan={3}>None.</td>
                </tr>
              ) : null}
            </Table>
            <Table caption="Webhook deliveries" head={['When', 'Event', 'Attempt', 'URL', 'Answer', 'Time']}>
              {t.webhook_deliveries.map((d) => (
                <tr key={d.id}>
                  <td>{dateTime(d.created_at)}</td>
                  <td>{d.event}</td>
                  <td className="num">{d.attempt}</td>
                  <td className="mono">{d.url}</td>
                  <td>{d.delivered ? `delivered (${d.status_code})` : d.error || String(d.status_code ?? 'no answer')}</td>
                  <td className="num">{d.duration_ms} ms</td>
                </tr>
              ))}
              {t.webhook_deliveries.length === 0 ? (
                <tr>
                  <td colSpan={6}>No delivery attempts.</td>
                </tr>
              ) : null}
            </Table>
          </Section>
          <div className="grid">
            <Section title="Request (normalized)">
              <Json value={t.request} label="Request" />
            </Section>
            <Section title="Price snapshot">
              <Json value={t.price_snapshot} label="Price snapshot" />
            </Section>
          </div>
          <Section title="Upstream answer (raw)">
            <Json value={t.upstream_response} label="Upstream answer" />
          </Section>
        </>
      ) : null}
    </>
  );
}
