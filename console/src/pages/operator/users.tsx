import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useLocation } from 'wouter';
import { operatorApi } from '../../api/operator.ts';
import { ErrorNote, Field, Section } from '../../components/ui.tsx';

export function Users() {
  const [, navigate] = useLocation();
  const [name, setName] = useState('');
  const [group, setGroup] = useState('');
  const [quota, setQuota] = useState('');
  const [findId, setFindId] = useState('');
  const create = useMutation({
    mutationFn: () => operatorApi.createUser({ name, group: group || undefined, quota: quota ? Number(quota) : undefined }),
    onSuccess: (user) => navigate(`/admin/users/${user.id}`),
  });
  return (
    <>
      <h1>Users</h1>
      <div className="grid">
        <Section title="Create a user">
          <form
            onSubmit={(event) => {
              event.preventDefault();
              create.mutate();
            }}
          >
            <Field label="Name">{(id) => <input id={id} required maxLength={128} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
            <Field label="Group" hint='Pricing group; empty for "default".'>
              {(id) => <input id={id} maxLength={64} value={group} onChange={(e) => setGroup(e.target.value)} />}
            </Field>
            <Field label="Initial quota" hint="500,000 quota = 1 USD; recorded as a top-up.">
              {(id) => <input id={id} type="number" min={0} value={quota} onChange={(e) => setQuota(e.target.value)} />}
            </Field>
            <ErrorNote error={create.error} />
            <button type="submit" disabled={create.isPending}>
              Create user
            </button>
          </form>
        </Section>
        <Section title="Open a user">
          <form
            onSubmit={(event) => {
              event.preventDefault();
              navigate(`/admin/users/${Number(findId)}`);
            }}
          >
            <Field label="User id">{(id) => <input id={id} type="number" min={1} required value={findId} onChange={(e) => setFindId(e.target.value)} />}</Field>
            <button type="submit">Open</button>
          </form>
          <p className="muted">Searching and listing users waits for the admin API's user list.</p>
        </Section>
      </div>
    </>
  );
}
