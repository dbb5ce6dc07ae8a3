// API keys: one user's (on the user's page, where new ones are made) or everyone's, with their
// limits and spending; write tokens may set a key's limits when making it and later, disable and
// re-enable it, revoke it for good (after a confirmation), and open the customer's playground as
// a key (a one-time code, exchanged in a new tab: the key never reaches this page).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { dateTime, usd } from '../../api/http.ts';
import { actAsKeyPath, type ApiKey, operatorApi } from '../../api/operator.ts';
import { ConfirmButton, CopyButton, ErrorNote, Pager, SaveButtons, Section, SelectFilter, Status, Table, useCursorPages } from '../../components/ui.tsx';
import { useOperatorScope } from '../../session.tsx';
import { changeBody, createBody, EMPTY_SETTINGS, type SettingsForm, SettingsFields, settingsOf } from './key-settings.tsx';

const KEYS = ['admin', 'keys'];

function useSettingsForm(initial: SettingsForm) {
  const [form, setForm] = useState(initial);
  const set = <K extends keyof SettingsForm>(field: K, value: SettingsForm[K]) => setForm((f) => ({ ...f, [field]: value }));
  return { form, set, reset: () => setForm(initial) };
}

/** A new key for the user, with any of its limits; the key itself is shown once, above the list. */
function CreateKey({ userId, onCreated }: { userId: number; onCreated: (key: string) => void }) {
  const client = useQueryClient();
  const { form, set, reset } = useSettingsForm(EMPTY_SETTINGS);
  const create = useMutation({
    mutationFn: () => operatorApi.createKey({ user_id: userId, ...createBody(form) }),
    onSuccess: ({ key }) => {
      onCreated(key);
      reset();
      return client.invalidateQueries({ queryKey: KEYS });
    },
  });
  return (
    <form
      aria-label="Create a key"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate();
      }}
    >
      <SettingsFields form={form} set={set} />
      <ErrorNote error={create.error} />
      <button type="submit" disabled={create.isPending}>
        Create key
      </button>
    </form>
  );
}

/** Changes what was edited, nothing else: an emptied limit is cleared (null). */
function EditKey({ apiKey, onDone }: { apiKey: ApiKey; onDone: () => void }) {
  const client = useQueryClient();
  const [before] = useState(() => settingsOf(apiKey));
  const { form, set } = useSettingsForm(before);
  const save = useMutation({
    mutationFn: async () => {
      const body = changeBody(before, form);
      // The API takes no empty change; nothing edited is nothing to send.
      if (Object.keys(body).length > 0) await operatorApi.updateKey(apiKey.id, body);
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: KEYS });
      onDone();
    },
  });
  return (
    <form
      className="row-form"
      aria-label={`Limits of key ${apiKey.id}`}
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <SettingsFields form={form} set={set} />
      <ErrorNote error={save.error} />
      <SaveButtons label={`Save key ${apiKey.id}`} pending={save.isPending} onCancel={onDone} />
    </form>
  );
}

const limitsText = (key: ApiKey): string =>
  [
    `at once: ${key.max_inflight ?? 'default'}`,
    `per minute: ${key.rpm_limit ?? 'default'}`,
    `from: ${key.allowed_ips.length ? key.allowed_ips.join(', ') : 'default'}`,
  ].join('; ');

interface KeyRowProps {
  apiKey: ApiKey;
  showUser: boolean;
  canWrite: boolean;
  /** Opens the customer's playground as this key (the list shows the outcome). */
  onActAs: (keyId: number) => void;
  actingAs: boolean;
}

function KeyRow({ apiKey: key, showUser, canWrite, onActAs, actingAs }: KeyRowProps) {
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const refresh = () => client.invalidateQueries({ queryKey: KEYS });
  const toggle = useMutation({
    mutationFn: () => operatorApi.updateKey(key.id, { status: key.status === 'enabled' ? 'disabled' : 'enabled' }),
    onSuccess: refresh,
  });
  const revoke = useMutation({
    mutationFn: () => operatorApi.revokeKey(key.id),
    onSuccess: () => {
      setEditing(false);
      return refresh();
    },
  });
  const live = key.status !== 'revoked';
  return (
    <>
      <tr>
        <td>{key.id}</td>
        {showUser ? (
          <td>
            <Link href={`/admin/users/${key.user_id}`}>{key.user_id}</Link>
          </td>
        ) : null}
        <td className="mono">{key.key_prefix}…</td>
        <td>{key.name || '—'}</td>
        <td data-testid={`key-status-${key.id}`}>
          <Status value={key.status} />
        </td>
        <td className="num">{key.quota === null ? 'none' : usd(key.quota)}</td>
        <td className="num">{usd(key.quota_used)}</td>
        <td className="limits" data-testid={`key-limits-${key.id}`}>{limitsText(key)}</td>
        <td>{key.models.length ? key.models.join(', ') : 'all'}</td>
        <td>{key.expires_at ? dateTime(key.expires_at) : 'never'}</td>
        <td>{dateTime(key.last_used_at)}</td>
        {canWrite ? (
          <td className="actions">
            {live ? (
              <div className="inline">
                <button type="button" className="secondary" disabled={toggle.isPending} onClick={() => toggle.mutate()}>
                  {key.status === 'enabled' ? `Disable key ${key.id}` : `Enable key ${key.id}`}
                </button>
                <button type="button" className="secondary" aria-expanded={editing} onClick={() => setEditing((e) => !e)}>
                  Edit key {key.id}
                </button>
                {key.status === 'enabled' ? (
                  <button type="button" className="secondary" disabled={actingAs} onClick={() => onActAs(key.id)}>
                    Open playground as key {key.id}
                  </button>
                ) : null}
                <ConfirmButton
                  label={`Revoke key ${key.id}`}
                  question={`Revoke key ${key.id} for good? It stops working at once and cannot be enabled again.`}
                  confirmLabel={`Yes, revoke key ${key.id}`}
                  pending={revoke.isPending}
                  onConfirm={() => revoke.mutate()}
                />
              </div>
            ) : null}
            <ErrorNote error={toggle.error ?? revoke.error} />
          </td>
        ) : null}
      </tr>
      {editing && live && canWrite ? (
        <tr>
          <td colSpan={99}>
            <EditKey apiKey={key} onDone={() => setEditing(false)} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

/** One user's keys, with a form to make one (write tokens); without a user, everyone's keys. */
export function KeyList({ userId }: { userId?: number }) {
  const canWrite = useOperatorScope().canWrite;
  const [shown, setShown] = useState<string | null>(null);
  const pages = useCursorPages();
  const [status, setStatus] = useState('');
  const keys = useQuery({
    queryKey: [...KEYS, userId, status, pages.cursor],
    queryFn: () => operatorApi.keys({ user_id: userId, status, cursor: pages.cursor }),
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
  return (
    <Section
      title="API keys"
      actions={
        <SelectFilter
          label="Key status"
          value={status}
          options={[
            ['', 'any'],
            ['enabled', 'enabled'],
            ['disabled', 'disabled'],
            ['revoked', 'revoked'],
          ]}
          onChange={(value) => {
            pages.reset();
            setStatus(value);
          }}
        />
      }
    >
      {canWrite && userId !== undefined ? (
        <CreateKey
          userId={userId}
          onCreated={(key) => {
            setShown(key);
            pages.reset();
          }}
        />
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
      <ErrorNote error={actAs.error ?? keys.error} />
      {keys.data ? (
        <Table caption={userId === undefined ? 'Keys' : 'Keys of this user'} head={['Id', ...(userId === undefined ? ['User'] : []), 'Key', 'Name', 'Status', 'Spending limit', 'Spent', 'Limits', 'Models', 'Expires', 'Last used', ...(canWrite ? [''] : [])]}>
          {keys.data.data.map((key) => (
            <KeyRow key={key.id} apiKey={key} showUser={userId === undefined} canWrite={canWrite} onActAs={actAs.mutate} actingAs={actAs.isPending} />
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
