import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { dateTime, usd } from '../../api/http.ts';
import { type ApiKey, operatorApi } from '../../api/operator.ts';
import { CopyButton, ErrorNote, Field, Section, Status, Table } from '../../components/ui.tsx';

function QuotaForm({ id }: { id: number }) {
  const client = useQueryClient();
  const [amount, setAmount] = useState('');
  const [note, setNote] = useState('');
  const change = useMutation({
    mutationFn: (sign: 1 | -1) => operatorApi.changeQuota(id, sign * Number(amount), note || undefined),
    onSuccess: (user) => {
      client.setQueryData(['admin', 'user', id], user);
      setAmount('');
      setNote('');
    },
  });
  return (
    <form onSubmit={(event) => event.preventDefault()}>
      <Field label="Amount (quota)" hint={amount ? `= ${usd(Number(amount))}` : '500,000 quota = 1 USD'}>
        {(fieldId) => <input id={fieldId} type="number" min={1} required value={amount} onChange={(e) => setAmount(e.target.value)} />}
      </Field>
      <Field label="Note">{(fieldId) => <input id={fieldId} maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />}</Field>
      <ErrorNote error={change.error} />
      <div className="inline">
        <button type="button" disabled={!amount || change.isPending} onClick={() => change.mutate(1)}>
          Top up
        </button>
        <button type="button" className="secondary" disabled={!amount || change.isPending} onClick={() => change.mutate(-1)}>
          Deduct
        </button>
      </div>
    </form>
  );
}

function UserForm({ id, status }: { id: number; status: 'enabled' | 'disabled' }) {
  const client = useQueryClient();
  const update = useMutation({
    mutationFn: () => operatorApi.updateUser(id, { status: status === 'enabled' ? 'disabled' : 'enabled' }),
    onSuccess: (user) => client.setQueryData(['admin', 'user', id], user),
  });
  return (
    <>
      <ErrorNote error={update.error} />
      <button type="button" className="secondary" onClick={() => update.mutate()} disabled={update.isPending}>
        {status === 'enabled' ? 'Disable user (stops their keys at once)' : 'Enable user'}
      </button>
    </>
  );
}

function Keys({ userId }: { userId: number }) {
  // Keys made in this tab; listing a user's keys waits for the admin API's key list.
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [shown, setShown] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [limit, setLimit] = useState('');
  const create = useMutation({
    mutationFn: () => operatorApi.createKey({ user_id: userId, name: name || undefined, quota: limit ? Number(limit) : undefined }),
    onSuccess: ({ key, ...row }) => {
      setShown(key);
      setKeys((k) => [row, ...k]);
      setName('');
      setLimit('');
    },
  });
  const update = useMutation({
    mutationFn: (change: { id: number; status: 'enabled' | 'disabled' }) => operatorApi.updateKey(change.id, { status: change.status }),
    onSuccess: (row) => setKeys((k) => k.map((key) => (key.id === row.id ? row : key))),
  });
  return (
    <Section title="API keys">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <div className="inline">
          <Field label="Key name">{(id) => <input id={id} maxLength={128} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
          <Field label="Own spending limit (quota)" hint="Empty: only the balance limits it.">
            {(id) => <input id={id} type="number" min={0} value={limit} onChange={(e) => setLimit(e.target.value)} />}
          </Field>
        </div>
        <ErrorNote error={create.error} />
        <button type="submit" disabled={create.isPending}>
          Create key
        </button>
      </form>
      {shown ? (
        <div className="notice" role="status">
          <p>The new key, shown this once: copy it now.</p>
          <p className="mono secret" data-testid="new-key">
            {shown}
          </p>
          <div className="inline">
            <CopyButton text={shown} label="Copy key" />
            <button type="button" className="secondary" onClick={() => setShown(null)}>
              Hide
            </button>
          </div>
        </div>
      ) : null}
      <ErrorNote error={update.error} />
      {keys.length ? (
        <Table caption="Keys created in this tab" head={['Id', 'Key', 'Name', 'Status', '']}>
          {keys.map((key) => (
            <tr key={key.id}>
              <td>{key.id}</td>
              <td className="mono">{key.key_prefix}…</td>
              <td>{key.name || '—'}</td>
              <td>
                <Status value={key.status} />
              </td>
              <td>
                <button type="button" className="secondary" onClick={() => update.mutate({ id: key.id, status: key.status === 'enabled' ? 'disabled' : 'enabled' })}>
                  {key.status === 'enabled' ? `Revoke key ${key.id}` : `Enable key ${key.id}`}
                </button>
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
    </Section>
  );
}

export function UserPage({ id }: { id: number }) {
  const user = useQuery({ queryKey: ['admin', 'user', id], queryFn: () => operatorApi.user(id) });
  const u = user.data;
  return (
    <>
      <p>
        <Link href="/admin/users">← Users</Link>
      </p>
      <h1>User {id}</h1>
      <ErrorNote error={user.error} />
      {u ? (
        <div className="grid">
          <Section title="Account">
            <dl>
              <dt>Name</dt>
              <dd data-testid="user-name">{u.name}</dd>
              <dt>Group</dt>
              <dd>{u.group}</dd>
              <dt>Status</dt>
              <dd>
                <Status value={u.status} />
              </dd>
              <dt>Balance</dt>
              <dd data-testid="user-balance">
                {u.quota.toLocaleString()} quota ({usd(u.quota)})
              </dd>
              <dt>Spent</dt>
              <dd>
                {u.used_quota.toLocaleString()} quota ({usd(u.used_quota)})
              </dd>
              <dt>Created</dt>
              <dd>{dateTime(u.created_at)}</dd>
            </dl>
            <UserForm id={id} status={u.status} />
            <p>
              <Link href={`/admin/logs?user_id=${id}`}>Quota logs of this user</Link>
            </p>
          </Section>
          <Section title="Top up or deduct">
            <QuotaForm id={id} />
          </Section>
          <Keys userId={id} />
        </div>
      ) : null}
    </>
  );
}
