import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { type Channel, operatorApi } from '../../api/operator.ts';
import { ErrorNote, Field, Section, Status, Table } from '../../components/ui.tsx';

export function Channels() {
  const [form, setForm] = useState({ name: '', baseUrl: 'https://dashscope.aliyuncs.com', apiKey: '', models: '', priority: '0', weight: '1' });
  const [added, setAdded] = useState<Channel[]>([]);
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
    onSuccess: (channel) => {
      setAdded((a) => [channel, ...a]);
      set('apiKey', '');
    },
  });
  return (
    <>
      <h1>Channels</h1>
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
      {added.length ? (
        <Section title="Added in this tab">
          <Table caption="Channels added in this tab" head={['Id', 'Name', 'Base URL', 'Key', 'Priority', 'Weight', 'Status']}>
            {added.map((c) => (
              <tr key={c.id}>
                <td>{c.id}</td>
                <td>{c.name}</td>
                <td className="mono">{c.base_url}</td>
                <td className="mono">{c.api_key}</td>
                <td className="num">{c.priority}</td>
                <td className="num">{c.weight}</td>
                <td>
                  <Status value={c.status} />
                </td>
              </tr>
            ))}
          </Table>
        </Section>
      ) : null}
      <p className="muted">Listing, testing, enabling and disabling channels waits for the admin API's channel endpoints.</p>
    </>
  );
}
