// API keys: one user's (on the user's page, where new ones are made) or everyone's, with their
// limits and spending; write tokens may disable and re-enable them, and open the customer's
// playground as a key (a one-time code, exchanged in a new tab: the key never reaches this page).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { dateTime, usd } from '../../api/http.ts';
import { actAsKeyPath, operatorApi } from '../../api/operator.ts';
import { CopyButton, ErrorNote, Field, Pager, Section, Status, Table, useCursorPages } from '../../components/ui.tsx';
import { useOperatorScope } from '../../session.tsx';

/** One user's keys, with a form to make one (write tokens); without a user, everyone's keys. */
export function KeyList({ userId }: { userId?: number }) {
  const client = useQueryClient();
  const canWrite = useOperatorScope().canWrite;
  const [shown, setShown] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [limit, setLimit] = useState('');
  const pages = useCursorPages();
  const [status, setStatus] = useState('');
  const keys = useQuery({
    queryKey: ['admin', 'keys', userId, status, pages.cursor],
    queryFn: () => operatorApi.keys({ user_id: userId, status, cursor: pages.cursor }),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['admin', 'keys'] });
  const create = useMutation({
    mutationFn: () => operatorApi.createKey({ user_id: userId ?? 0, name: name || undefined, quota: limit ? Number(limit) : undefined }),
    onSuccess: ({ key }) => {
      setShown(key);
      setName('');
      setLimit('');
      pages.reset();
      return refresh();
    },
  });
  const [opened, setOpened] = useState<{ keyId: number; path: string } | null>(null);
  const actAs = useMutation({
    mutationFn: operatorApi.consoleCode,
    onSuccess: ({ code, key_id: keyId }) => {
      const path = actAsKeyPath(code);
      setOpened({ keyId, path });
      // noopener: the new tab starts with its own, empty sessionStorage, so this tab's admin token
      // does not go along (a tab opened with an opener gets a copy of it).
      window.open(path, '_blank', 'noopener');
    },
  });
  const update = useMutation({
    mutationFn: (change: { id: number; status: 'enabled' | 'disabled' }) => operatorApi.updateKey(change.id, { status: change.status }),
    onSuccess: refresh,
  });
  return (
    <Section
      title="API keys"
      actions={
        <Field label="Key status">
          {(id) => (
            <select
              id={id}
              value={status}
              onChange={(e) => {
                pages.reset();
                setStatus(e.target.value);
              }}
            >
              <option value="">any</option>
              <option value="enabled">enabled</option>
              <option value="disabled">disabled</option>
              <option value="revoked">revoked</option>
            </select>
          )}
        </Field>
      }
    >
      {canWrite && userId !== undefined ? (
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
      ) : null}
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
      {opened ? (
        <p className="notice" role="status">
          The playground opens in a new tab as key {opened.keyId}. If none opened,{' '}
          <a href={opened.path} target="_blank" rel="noopener noreferrer" onClick={() => setOpened(null)}>
            open it here
          </a>{' '}
          (the link works once, within a minute).
        </p>
      ) : null}
      <ErrorNote error={actAs.error ?? update.error ?? keys.error} />
      {keys.data ? (
        <Table caption={userId === undefined ? 'Keys' : 'Keys of this user'} head={['Id', ...(userId === undefined ? ['User'] : []), 'Key', 'Name', 'Status', 'Limit', 'Spent', 'Models', 'Expires', 'Last used', ...(canWrite ? [''] : [])]}>
          {keys.data.data.map((key) => (
            <tr key={key.id}>
              <td>{key.id}</td>
              {userId === undefined ? (
                <td>
                  <Link href={`/admin/users/${key.user_id}`}>{key.user_id}</Link>
                </td>
              ) : null}
              <td className="mono">{key.key_prefix}…</td>
              <td>{key.name || '—'}</td>
              <td>
                <Status value={key.status} />
              </td>
              <td className="num">{key.quota === null ? 'none' : usd(key.quota)}</td>
              <td className="num">{usd(key.quota_used)}</td>
              <td>{key.models.length ? key.models.join(', ') : 'all'}</td>
              <td>{key.expires_at ? dateTime(key.expires_at) : 'never'}</td>
              <td>{dateTime(key.last_used_at)}</td>
              {canWrite ? (
                <td>
                  {key.status === 'revoked' ? null : (
                    <div className="inline">
                      <button type="button" className="secondary" onClick={() => update.mutate({ id: key.id, status: key.status === 'enabled' ? 'disabled' : 'enabled' })}>
                        {key.status === 'enabled' ? `Disable key ${key.id}` : `Enable key ${key.id}`}
                      </button>
                      {key.status === 'enabled' ? (
                        <button type="button" className="secondary" disabled={actAs.isPending} onClick={() => actAs.mutate(key.id)}>
                          Open playground as key {key.id}
                        </button>
                      ) : null}
                    </div>
                  )}
                </td>
              ) : null}
            </tr>
          ))}
          {keys.data.data.length === 0 ? (
            <tr>
              <td colSpan={99}>No keys.</td>
            </tr>
          ) : null}
        </Table>
      ) : null}
      <Pager pages={pages} nextCursor={keys.data?.next_cursor} label="Keys" />
    </Section>
  );
}

export function Keys() {
  return (
    <>
      <h1>API keys</h1>
      <p className="muted">A user's page lists their keys and makes new ones.</p>
      <KeyList />
    </>
  );
}
