import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { dateTime, usd } from '../../api/http.ts';
import { operatorApi } from '../../api/operator.ts';
import { ErrorNote, Field, Section, Status } from '../../components/ui.tsx';
import { WriteOnly } from '../../session.tsx';
import { KeyList } from './keys.tsx';

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
            <WriteOnly>
              <UserForm id={id} status={u.status} />
            </WriteOnly>
            <p>
              <Link href={`/admin/logs?user_id=${id}`}>Quota logs of this user</Link> · <Link href={`/admin/tasks?user_id=${id}`}>Tasks of this user</Link>
            </p>
          </Section>
          <WriteOnly>
            <Section title="Top up or deduct">
              <QuotaForm id={id} />
            </Section>
          </WriteOnly>
        </div>
      ) : null}
      {/* The full width: the keys' table and their forms would be cramped in a third of it. */}
      {u ? <KeyList userId={id} /> : null}
    </>
  );
}
