import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation } from 'wouter';
import { dateTime, usd } from '../../api/http.ts';
import { operatorApi } from '../../api/operator.ts';
import { ErrorNote, Field, FilterForm, Pager, Section, Status, Table, useCursorPages } from '../../components/ui.tsx';
import { WriteOnly } from '../../session.tsx';

function UserList() {
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState('');
  const [filter, setFilter] = useState({ search: '', status: '' });
  const pages = useCursorPages();
  const users = useQuery({ queryKey: ['admin', 'users', filter, pages.cursor], queryFn: () => operatorApi.users({ ...filter, cursor: pages.cursor }) });
  return (
    <Section title="Find a user">
      <FilterForm search onApply={() => {
        pages.reset();
        setFilter({ search: search.trim(), status });
      }}>
        <Field label="Search" hint="Part of the name, or the id.">
          {(id) => <input id={id} type="search" maxLength={128} value={search} onChange={(e) => setSearch(e.target.value)} />}
        </Field>
        <Field label="Status">
          {(id) => (
            <select id={id} value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="">any</option>
              <option value="enabled">enabled</option>
              <option value="disabled">disabled</option>
            </select>
          )}
        </Field>
        <button type="submit">Search</button>
      </FilterForm>
      <ErrorNote error={users.error} />
      {users.data ? (
        <Table caption="Users found" head={['Id', 'Name', 'Group', 'Status', 'Balance', 'Spent', 'Created']}>
          {users.data.data.map((u) => (
            <tr key={u.id}>
              <td>{u.id}</td>
              <td>
                <Link href={`/admin/users/${u.id}`}>{u.name}</Link>
              </td>
              <td>{u.group}</td>
              <td>
                <Status value={u.status} />
              </td>
              <td className="num">{usd(u.quota)}</td>
              <td className="num">{usd(u.used_quota)}</td>
              <td>{dateTime(u.created_at)}</td>
            </tr>
          ))}
          {users.data.data.length === 0 ? (
            <tr>
              <td colSpan={7}>No user matches.</td>
            </tr>
          ) : null}
        </Table>
      ) : null}
      <Pager pages={pages} nextCursor={users.data?.next_cursor} label="Users" />
    </Section>
  );
}

export function Users() {
  const [, navigate] = useLocation();
  const [name, setName] = useState('');
  const [group, setGroup] = useState('');
  const [quota, setQuota] = useState('');
  const create = useMutation({
    mutationFn: () => operatorApi.createUser({ name, group: group || undefined, quota: quota ? Number(quota) : undefined }),
    onSuccess: (user) => navigate(`/admin/users/${user.id}`),
  });
  return (
    <>
      <h1>Users</h1>
      <WriteOnly>
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
      </WriteOnly>
      <UserList />
    </>
  );
}
