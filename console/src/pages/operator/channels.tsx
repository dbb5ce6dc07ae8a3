// Upstream accounts: add one, and for each: test its key, enable or disable it, tune its share of
// the traffic (priority, weight) and its limits (QPS, tasks at once), and see why the worker took it
// out of rotation.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { dateTime } from '../../api/http.ts';
import { type Channel, type ChannelTest, operatorApi } from '../../api/operator.ts';
import { ErrorNote, Field, Pager, SaveButtons, Section, SelectFilter, Status, Table, useCursorPages } from '../../components/ui.tsx';
import { useOperatorScope, WriteOnly } from '../../session.tsx';

const CHANNELS = ['admin', 'channels'];

function AddChannel() {
  const client = useQueryClient();
  const [form, setForm] = useState({ name: '', baseUrl: 'https://dashscope.aliyuncs.com', apiKey: '', models: '', priority: '0', weight: '1' });
  const set = (key: keyof typeof form, value: string) => setForm((f) => ({ ...f, [key]: value }));
  const create = useMutation({
    mutationFn: () =>
      operatorApi.createChannel({
        name: form.name,
        base_url: form.baseUrl,
        api_key: form.apiKey,
        models: form.models.split(',').map((m) => m.trim()).filter(Boolean),
        priority: Number(form.priority),
        weight: Number(form.weight),
      }),
    onSuccess: () => {
      set('apiKey', '');
      return client.invalidateQueries({ queryKey: CHANNELS });
    },
  });
  return (
    <Section title="Add a DashScope account">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <div className="inline">
          <Field label="Name">{(id) => <input id={id} required maxLength={128} value={form.name} onChange={(e) => set('name', e.target.value)} />}</Field>
          <Field label="Base URL">{(id) => <input id={id} type="url" required value={form.baseUrl} onChange={(e) => set('baseUrl', e.target.value)} />}</Field>
          <Field label="DashScope API key" hint="Never shown again once saved.">
            {(id) => <input id={id} type="password" autoComplete="off" required value={form.apiKey} onChange={(e) => set('apiKey', e.target.value)} />}
          </Field>
          <Field label="Models" hint="Comma-separated; empty for all.">
            {(id) => <input id={id} value={form.models} onChange={(e) => set('models', e.target.value)} />}
          </Field>
          <Field label="Priority">{(id) => <input id={id} type="number" value={form.priority} onChange={(e) => set('priority', e.target.value)} />}</Field>
          <Field label="Weight">{(id) => <input id={id} type="number" min={0} value={form.weight} onChange={(e) => set('weight', e.target.value)} />}</Field>
        </div>
        <ErrorNote error={create.error} />
        <button type="submit" disabled={create.isPending}>
          Add channel
        </button>
      </form>
    </Section>
  );
}

const optionalInt = (value: string): number | null => (value.trim() === '' ? null : Number(value));

/** Priority, weight and limits of one channel; an empty limit means the worker's default (or none). */
function ChannelSettings({ channel, onDone }: { channel: Channel; onDone: () => void }) {
  const client = useQueryClient();
  const show = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));
  const [form, setForm] = useState({
    priority: String(channel.priority),
    weight: String(channel.weight),
    submitQps: show(channel.submit_qps),
    queryQps: show(channel.query_qps),
    maxInflight: show(channel.max_inflight),
  });
  const set = (key: keyof typeof form, value: string) => setForm((f) => ({ ...f, [key]: value }));
  const save = useMutation({
    mutationFn: () =>
      operatorApi.updateChannel(channel.id, {
        priority: Number(form.priority),
        weight: Number(form.weight),
        submit_qps: optionalInt(form.submitQps),
        query_qps: optionalInt(form.queryQps),
        max_inflight: optionalInt(form.maxInflight),
      }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: CHANNELS });
      onDone();
    },
  });
  return (
    <form
      aria-label={`Settings of channel ${channel.id}`}
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <div className="inline">
        <Field label="Priority">{(id) => <input id={id} type="number" required value={form.priority} onChange={(e) => set('priority', e.target.value)} />}</Field>
        <Field label="Weight">{(id) => <input id={id} type="number" min={0} required value={form.weight} onChange={(e) => set('weight', e.target.value)} />}</Field>
        <Field label="Submit QPS" hint="Empty: the default">
          {(id) => <input id={id} type="number" min={1} value={form.submitQps} onChange={(e) => set('submitQps', e.target.value)} />}
        </Field>
        <Field label="Query QPS" hint="Empty: the default">
          {(id) => <input id={id} type="number" min={1} value={form.queryQps} onChange={(e) => set('queryQps', e.target.value)} />}
        </Field>
        <Field label="Tasks at once" hint="Empty: no limit">
          {(id) => <input id={id} type="number" min={1} value={form.maxInflight} onChange={(e) => set('maxInflight', e.target.value)} />}
        </Field>
      </div>
      <ErrorNote error={save.error} />
      <SaveButtons label={`Save channel ${channel.id}`} pending={save.isPending} onCancel={onDone} />
    </form>
  );
}

function ChannelRow({ channel, canWrite }: { channel: Channel; canWrite: boolean }) {
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [result, setResult] = useState<ChannelTest | null>(null);
  const test = useMutation({ mutationFn: () => operatorApi.testChannel(channel.id), onSuccess: setResult });
  const toggle = useMutation({
    mutationFn: () => operatorApi.updateChannel(channel.id, { status: channel.status === 'enabled' ? 'disabled' : 'enabled' }),
    onSuccess: () => client.invalidateQueries({ queryKey: CHANNELS }),
  });
  const limits = [`submit ${channel.submit_qps ?? 'default'}/s`, `query ${channel.query_qps ?? 'default'}/s`, `${channel.max_inflight ?? 'no limit on'} tasks at once`];
  return (
    <>
      <tr>
        <td>{channel.id}</td>
        <td>{channel.name}</td>
        <td className="mono">{channel.base_url}</td>
        <td className="mono">{channel.api_key}</td>
        <td>{channel.models.length ? channel.models.join(', ') : 'all'}</td>
        <td className="num">{channel.priority}</td>
        <td className="num">{channel.weight}</td>
        <td>{limits.join('; ')}</td>
        <td>
          <Status value={channel.status} />
          {channel.status_reason ? (
            <div className="muted" data-testid={`channel-reason-${channel.id}`}>
              {channel.status_reason}
              {channel.retest_at ? ` (re-tested ${dateTime(channel.retest_at)})` : ''}
            </div>
          ) : null}
        </td>
        <td>
          <div className="inline">
            {/* A test changes nothing but is a POST, which the API refuses read tokens. */}
            {canWrite ? (
              <>
                <button type="button" className="secondary" disabled={test.isPending} onClick={() => test.mutate()}>
                  Test channel {channel.id}
                </button>
                <button type="button" className="secondary" disabled={toggle.isPending} onClick={() => toggle.mutate()}>
                  {channel.status === 'enabled' ? `Disable channel ${channel.id}` : `Enable channel ${channel.id}`}
                </button>
                <button type="button" className="secondary" onClick={() => setEditing((e) => !e)}>
                  Edit channel {channel.id}
                </button>
              </>
            ) : null}
          </div>
          {result ? (
            <p role="status" data-testid={`channel-test-${channel.id}`} className={result.ok ? undefined : 'error'}>
              {result.ok ? `works (${result.latency_ms} ms)` : `fails: ${result.error} (${result.latency_ms} ms)`}
            </p>
          ) : null}
          <ErrorNote error={test.error ?? toggle.error} />
        </td>
      </tr>
      {editing ? (
        <tr>
          <td colSpan={10}>
            <ChannelSettings channel={channel} onDone={() => setEditing(false)} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

export function Channels() {
  const { canWrite } = useOperatorScope();
  const [status, setStatus] = useState('');
  const pages = useCursorPages();
  const channels = useQuery({ queryKey: [...CHANNELS, status, pages.cursor], queryFn: () => operatorApi.channels({ status, cursor: pages.cursor }) });
  return (
    <>
      <h1>Channels</h1>
      <WriteOnly>
        <AddChannel />
      </WriteOnly>
      <Section
        title="Channels"
        actions={
          <SelectFilter
            label="Show"
            value={status}
            options={[
              ['', 'all'],
              ['enabled', 'enabled'],
              ['disabled', 'disabled'],
              ['auto_disabled', 'auto-disabled'],
            ]}
            onChange={(value) => {
              pages.reset();
              setStatus(value);
            }}
          />
        }
      >
        <ErrorNote error={channels.error} />
        {channels.data ? (
          <Table caption="Channel list" head={['Id', 'Name', 'Base URL', 'Key', 'Models', 'Priority', 'Weight', 'Limits', 'Status', '']}>
            {channels.data.data.map((c) => (
              <ChannelRow key={c.id} channel={c} canWrite={canWrite} />
            ))}
          </Table>
        ) : null}
        <Pager pages={pages} nextCursor={channels.data?.next_cursor} label="Channels" />
      </Section>
    </>
  );
}
