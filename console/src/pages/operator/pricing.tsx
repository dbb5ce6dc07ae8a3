// Prices per model (USD per generated second at ratio 1, resolution ratios, enabled) and pricing
// groups (a ratio on every price for their users). A change reaches every instance at once; tasks
// keep the price they were charged.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { dateTime } from '../../api/http.ts';
import { type Group, type ModelPrice, operatorApi } from '../../api/operator.ts';
import { ErrorNote, Field, SaveButtons, Section, Status, Table } from '../../components/ui.tsx';
import { useOperatorScope, WriteOnly } from '../../session.tsx';

const ratiosText = (ratios: Record<string, number>) =>
  Object.entries(ratios)
    .map(([resolution, ratio]) => `${resolution}=${ratio}`)
    .join(', ');

/** "720P=1, 1080P=1.5" → {"720P": 1, "1080P": 1.5}; the server says what is wrong with a bad one. */
const parseRatios = (text: string): Record<string, number> =>
  Object.fromEntries(
    text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [resolution = '', ratio = ''] = part.split('=').map((s) => s.trim());
        return [resolution, Number(ratio)];
      }),
  );

function ModelForm({ model, onDone }: { model: ModelPrice; onDone: () => void }) {
  const client = useQueryClient();
  const [price, setPrice] = useState(String(model.price));
  const [ratios, setRatios] = useState(ratiosText(model.resolution_ratios));
  const save = useMutation({
    mutationFn: () => operatorApi.updateModel(model.model, { price: Number(price), resolution_ratios: parseRatios(ratios) }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['admin', 'models'] });
      onDone();
    },
  });
  return (
    <form
      className="inline"
      aria-label={`Price of ${model.model}`}
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <Field label={`Price of ${model.model} (USD per second)`}>
        {(id) => <input id={id} type="number" min={0} step="any" required value={price} onChange={(e) => setPrice(e.target.value)} />}
      </Field>
      <Field label="Resolution ratios" hint="e.g. 720P=1, 1080P=1.5">
        {(id) => <input id={id} value={ratios} onChange={(e) => setRatios(e.target.value)} />}
      </Field>
      <SaveButtons label={`Save ${model.model}`} pending={save.isPending} onCancel={onDone} />
      <ErrorNote error={save.error} />
    </form>
  );
}

function ModelRow({ model, canWrite }: { model: ModelPrice; canWrite: boolean }) {
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const toggle = useMutation({
    mutationFn: () => operatorApi.updateModel(model.model, { enabled: !model.enabled }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['admin', 'models'] }),
  });
  return (
    <>
      <tr>
        <th scope="row">{model.model}</th>
        <td className="num" data-testid={`price-${model.model}`}>
          ${model.price}
        </td>
        <td>{ratiosText(model.resolution_ratios)}</td>
        <td>
          <Status value={model.enabled ? 'enabled' : 'disabled'} />
        </td>
        <td>{dateTime(model.updated_at)}</td>
        {canWrite ? (
          <td>
            <div className="inline">
              <button type="button" className="secondary" onClick={() => setEditing((e) => !e)}>
                Edit {model.model}
              </button>
              <button type="button" className="secondary" disabled={toggle.isPending} onClick={() => toggle.mutate()}>
                {model.enabled ? `Disable ${model.model}` : `Enable ${model.model}`}
              </button>
            </div>
            <ErrorNote error={toggle.error} />
          </td>
        ) : null}
      </tr>
      {editing ? (
        <tr>
          <td colSpan={6}>
            <ModelForm model={model} onDone={() => setEditing(false)} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

function GroupRow({ group, canWrite }: { group: Group; canWrite: boolean }) {
  const client = useQueryClient();
  const [ratio, setRatio] = useState(String(group.ratio));
  const save = useMutation({
    mutationFn: () => operatorApi.updateGroup(group.name, Number(ratio)),
    onSuccess: () => client.invalidateQueries({ queryKey: ['admin', 'groups'] }),
  });
  return (
    <tr>
      <th scope="row">{group.name}</th>
      <td className="num" data-testid={`group-ratio-${group.name}`}>
        {group.ratio}
      </td>
      <td>{dateTime(group.updated_at)}</td>
      {canWrite ? (
        <td>
          <form
            className="inline"
            onSubmit={(event) => {
              event.preventDefault();
              save.mutate();
            }}
          >
            <Field label={`New ratio of ${group.name}`}>
              {(id) => <input id={id} type="number" min={0} step="any" required value={ratio} onChange={(e) => setRatio(e.target.value)} />}
            </Field>
            <button type="submit" disabled={save.isPending}>
              Save {group.name}
            </button>
          </form>
          <ErrorNote error={save.error} />
        </td>
      ) : null}
    </tr>
  );
}

function NewGroup() {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [ratio, setRatio] = useState('1');
  const create = useMutation({
    mutationFn: () => operatorApi.createGroup(name.trim(), Number(ratio)),
    onSuccess: () => {
      setName('');
      return client.invalidateQueries({ queryKey: ['admin', 'groups'] });
    },
  });
  return (
    <form
      className="inline"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate();
      }}
    >
      <Field label="Group name" hint="Letters, digits, _ . -">
        {(id) => <input id={id} required maxLength={64} pattern="[\w.\-]+" value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Ratio">{(id) => <input id={id} type="number" min={0} step="any" required value={ratio} onChange={(e) => setRatio(e.target.value)} />}</Field>
      <button type="submit" disabled={create.isPending}>
        Create group
      </button>
      <ErrorNote error={create.error} />
    </form>
  );
}

export function Pricing() {
  const { canWrite } = useOperatorScope();
  const models = useQuery({ queryKey: ['admin', 'models'], queryFn: operatorApi.models });
  const groups = useQuery({ queryKey: ['admin', 'groups'], queryFn: operatorApi.groups });
  return (
    <>
      <h1>Models and groups</h1>
      <Section title="Model prices">
        <p className="muted">USD per generated second at resolution ratio 1 (500,000 quota = 1 USD). A task keeps the price it was charged.</p>
        <ErrorNote error={models.error} />
        {models.data ? (
          <Table caption="Prices per model" head={['Model', 'Price', 'Resolution ratios', 'Status', 'Changed', ...(canWrite ? [''] : [])]}>
            {models.data.data.map((m) => (
              <ModelRow key={m.model} model={m} canWrite={canWrite} />
            ))}
          </Table>
        ) : null}
      </Section>
      <Section title="Pricing groups">
        <p className="muted">Every price is multiplied by the ratio of the user's group.</p>
        <ErrorNote error={groups.error} />
        {groups.data ? (
          <Table caption="Ratios per group" head={['Group', 'Ratio', 'Changed', ...(canWrite ? [''] : [])]}>
            {groups.data.data.map((g) => (
              <GroupRow key={g.name} group={g} canWrite={canWrite} />
            ))}
          </Table>
        ) : null}
        <WriteOnly>
          <NewGroup />
        </WriteOnly>
      </Section>
    </>
  );
}
