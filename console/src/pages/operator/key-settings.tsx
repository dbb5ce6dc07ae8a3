// A key's name and limits as one form, used both to create a key and to change one. The form keeps
// what was typed; the API judges it (its message is shown as is), so the rules live in one place.
// An empty field means "none of its own": omitted when creating, sent as null (or []) when
// changing, which clears the limit.
import { useQuery } from '@tanstack/react-query';
import { usd } from '../../api/http.ts';
import { type ApiKey, type KeySettings, operatorApi } from '../../api/operator.ts';
import { Field } from '../../components/ui.tsx';

export interface SettingsForm {
  name: string;
  quota: string;
  maxInflight: string;
  rpmLimit: string;
  /** Addresses or CIDR ranges, separated by commas, spaces or new lines. */
  allowedIps: string;
  /** A datetime-local value, in the browser's time zone. */
  expiresAt: string;
  models: string[];
}

export const EMPTY_SETTINGS: SettingsForm = { name: '', quota: '', maxInflight: '', rpmLimit: '', allowedIps: '', expiresAt: '', models: [] };

const text = (n: number | null): string => (n === null ? '' : String(n));

/** Unix seconds as the datetime-local value the browser shows for that instant. */
function localDateTime(unixSeconds: number): string {
  const at = new Date(unixSeconds * 1000);
  return new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

export const settingsOf = (key: ApiKey): SettingsForm => ({
  name: key.name,
  quota: text(key.quota),
  maxInflight: text(key.max_inflight),
  rpmLimit: text(key.rpm_limit),
  allowedIps: key.allowed_ips.join('\n'),
  expiresAt: key.expires_at === null ? '' : localDateTime(key.expires_at),
  models: key.models,
});

// The browser's own checks (whole numbers, min) run first; the API judges the rest.
const number = (value: string): number | null => (value.trim() === '' ? null : Number(value));
const list = (value: string): string[] => value.split(/[\s,]+/).filter(Boolean);
// A datetime-local value without an offset is read as the browser's local time.
const unix = (value: string): number | null => (value === '' ? null : Math.floor(new Date(value).getTime() / 1000));

/** The form as the API names and shapes it; an empty field is null, or an empty list. */
const values = (f: SettingsForm) => ({
  name: f.name.trim(),
  quota: number(f.quota),
  max_inflight: number(f.maxInflight),
  rpm_limit: number(f.rpmLimit),
  allowed_ips: list(f.allowedIps),
  expires_at: unix(f.expiresAt),
  models: f.models,
});
const empty = (value: unknown) => value === null || value === '' || (Array.isArray(value) && value.length === 0);

/** A new key's settings: only what was filled in. */
export const createBody = (form: SettingsForm): KeySettings => Object.fromEntries(Object.entries(values(form)).filter(([, value]) => !empty(value))) as KeySettings;

/** What changed against the key as it was read: an emptied limit goes as null (or []), which clears it. */
export function changeBody(before: SettingsForm, after: SettingsForm): KeySettings {
  const old: Record<string, unknown> = values(before);
  return Object.fromEntries(Object.entries(values(after)).filter(([field, value]) => JSON.stringify(value) !== JSON.stringify(old[field]))) as KeySettings;
}

/** The labelled controls; `set` changes one field of the form the caller keeps. */
export function SettingsFields({ form, set }: { form: SettingsForm; set: <K extends keyof SettingsForm>(field: K, value: SettingsForm[K]) => void }) {
  const prices = useQuery({ queryKey: ['admin', 'models'], queryFn: operatorApi.models, staleTime: 60_000 });
  // A key may name a model the gateway no longer lists: it stays shown so it can be unticked.
  const models = [...new Set([...(prices.data?.data.map((m) => m.model) ?? []), ...form.models])];
  const toggle = (model: string, on: boolean) => set('models', on ? [...form.models, model] : form.models.filter((m) => m !== model));
  return (
    <>
      <div className="inline">
        <Field label="Key name">{(id) => <input id={id} maxLength={128} value={form.name} onChange={(e) => set('name', e.target.value)} />}</Field>
        <Field label="Own spending limit (quota)" hint={form.quota ? `= ${usd(Number(form.quota))}` : 'Empty: only the balance limits it.'}>
          {(id) => <input id={id} type="number" inputMode="numeric" min={0} value={form.quota} onChange={(e) => set('quota', e.target.value)} />}
        </Field>
        <Field label="Tasks at once (max_inflight)" hint="Empty: the user's default, or none.">
          {(id) => <input id={id} type="number" inputMode="numeric" min={0} value={form.maxInflight} onChange={(e) => set('maxInflight', e.target.value)} />}
        </Field>
        <Field label="Requests per minute (rpm_limit)" hint="Empty: the user's default, or none.">
          {(id) => <input id={id} type="number" inputMode="numeric" min={1} value={form.rpmLimit} onChange={(e) => set('rpmLimit', e.target.value)} />}
        </Field>
        <Field label="Expires" hint="Your local time; empty: never.">
          {(id) => <input id={id} type="datetime-local" value={form.expiresAt} onChange={(e) => set('expiresAt', e.target.value)} />}
        </Field>
      </div>
      <Field label="Allowed addresses (allowed_ips)" hint="IP addresses or CIDR ranges such as 10.0.0.0/8, separated by commas or new lines; empty: the user's list, or anywhere.">
        {(id) => <textarea id={id} rows={2} spellCheck={false} value={form.allowedIps} onChange={(e) => set('allowedIps', e.target.value)} />}
      </Field>
      <fieldset className="checks">
        <legend>Allowed models</legend>
        {models.map((model) => (
          <label key={model}>
            <input type="checkbox" checked={form.models.includes(model)} onChange={(e) => toggle(model, e.target.checked)} /> {model}
          </label>
        ))}
        <small>None ticked: every model.</small>
      </fieldset>
    </>
  );
}
