// Everything the operator pages read and change, through the admin API (docs/operators.md): lists,
// records, a task's event stream, the dashboard's usage and system state, channel tests,
// force-fail, prices, audit, CSV.
//
// The admin token is kept for the tab's life only: sessionStorage (gone when the tab closes, never
// shared with other tabs), never localStorage, and sent only with requests to this origin's
// /admin paths.
import { readEventStream } from '../event-stream.ts';
import { request, type RequestOptions } from './http.ts';
import type { LogEntry, Page } from './customer.ts';

const STORAGE_KEY = 'vgw.adminToken';

export interface User {
  id: number;
  name: string;
  group: string;
  quota: number;
  used_quota: number;
  status: 'enabled' | 'disabled';
  created_at: number;
  updated_at: number;
}

export interface ApiKey {
  id: number;
  user_id: number;
  name: string;
  key_prefix: string;
  status: 'enabled' | 'disabled' | 'revoked';
  expires_at: number | null;
  models: string[];
  quota: number | null;
  quota_used: number;
  /** null: the user's default, or no limit. */
  max_inflight: number | null;
  inflight_tasks: number;
  rpm_limit: number | null;
  /** Empty: the user's list, or anywhere. */
  allowed_ips: string[];
  last_used_at: number | null;
  callback_url: string | null;
  created_at: number;
}

/** What creating or changing a key may set: in a change, null clears a limit and [] lifts a list. */
export interface KeySettings {
  name?: string;
  quota?: number | null;
  max_inflight?: number | null;
  rpm_limit?: number | null;
  allowed_ips?: string[];
  /** Unix seconds; null for never. */
  expires_at?: number | null;
  /** Empty: every model. */
  models?: string[];
}

export interface ConsoleCode {
  object: 'console.session_code';
  code: string;
  key_id: number;
  user_id: number;
  expires_at: number;
}

/** The console page that exchanges a code (in the fragment, which is never sent to any server). */
export const actAsKeyPath = (code: string): string => `/console/act#code=${encodeURIComponent(code)}`;

export interface Channel {
  id: number;
  name: string;
  base_url: string;
  api_key: string;
  models: string[];
  priority: number;
  weight: number;
  status: 'enabled' | 'disabled' | 'auto_disabled';
  /** Why it is disabled: the last upstream error for auto_disabled. */
  status_reason?: string;
  submit_qps?: number | null;
  query_qps?: number | null;
  max_inflight?: number | null;
  retest_at?: number | null;
  created_at: number;
}

export type Scope = 'read' | 'write';
export interface AdminMe {
  token_id: number | null;
  name: string;
  scope: Scope;
}

export type TaskStatus = 'NOT_START' | 'QUEUED' | 'IN_PROGRESS' | 'SUCCESS' | 'FAILURE';
export const TASK_STATUSES: TaskStatus[] = ['NOT_START', 'QUEUED', 'IN_PROGRESS', 'SUCCESS', 'FAILURE'];

export interface AdminTask {
  task_id: string;
  user_id: number;
  key_id: number | null;
  group: string;
  model: string;
  upstream_model: string;
  action: string;
  status: TaskStatus;
  progress: number;
  fail_reason: string;
  quota: number;
  channel_id: number | null;
  upstream_task_id: string | null;
  attempts: number;
  result_copy: string;
  webhook_events: string[];
  callback_url: string | null;
  deleted: boolean;
  submit_time: number;
  start_time: number | null;
  finish_time: number | null;
}

export interface TaskDetail extends AdminTask {
  request: Record<string, unknown>;
  price_snapshot: Record<string, unknown>;
  channel: { id: number; name: string; status: string } | null;
  upstream_response: Record<string, unknown>;
  /** The video's link (same origin when the gateway keeps a copy); null until it succeeded. */
  result_url: string | null;
  logs: LogEntry[];
  webhooks: { event: string; state: string; created_at: number }[];
  webhook_deliveries: WebhookDelivery[];
  /** In event stream messages only, until the task is sent upstream: the tasks of its model ahead of it. */
  queue_position?: number;
}

export interface ChannelTest {
  ok: boolean;
  latency_ms: number;
  error: string | null;
}

export interface ModelPrice {
  model: string;
  price: number;
  resolution_ratios: Record<string, number>;
  enabled: boolean;
  updated_at: number;
}

export interface Group {
  name: string;
  ratio: number;
  created_at: number;
  updated_at: number;
}

export type UsageGroupBy = 'day' | 'model' | 'user' | 'key';
export interface AdminUsageRow {
  bucket: string;
  tasks: number;
  succeeded: number;
  failed: number;
  seconds: number;
  quota_charged: number;
  quota_refunded: number;
  quota_net: number;
}

export interface AuditEntry {
  id: string;
  actor: { token_id: number | null; name: string };
  action: string;
  target_type: string;
  target_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  request_id: string;
  ip: string;
  created_at: number;
}

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface SystemState {
  queues: Record<string, QueueCounts | null>;
  queues_error: string | null;
  channels: { id: number; name: string; status: string; last_error: string; retest_at: number | null }[];
  open_tasks: Record<'NOT_START' | 'QUEUED' | 'IN_PROGRESS', number>;
  workers: { id: string; host: string; pid: number; queues: string[]; version: string; started_at: number; last_seen: number }[];
}

export interface WebhookDelivery {
  id: string;
  task_id: string;
  url: string;
  event: string;
  attempt: number;
  status_code: number | null;
  error: string;
  duration_ms: number;
  delivered: boolean;
  created_at: number;
}

export const adminToken = {
  get: (): string | null => sessionStorage.getItem(STORAGE_KEY),
  set: (token: string): void => sessionStorage.setItem(STORAGE_KEY, token),
  clear: (): void => sessionStorage.removeItem(STORAGE_KEY),
};

const bearer = (): Record<string, string> => {
  const token = adminToken.get();
  return token ? { authorization: `Bearer ${token}` } : {};
};

const adminPath = (path: string): string => {
  if (!path.startsWith('/admin/')) throw new Error(`the admin token goes to /admin paths only, not ${path}`);
  return path;
};

function admin<T>(path: string, options: RequestOptions = {}): Promise<T> {
  return request<T>(adminPath(path), { ...options, headers: { ...options.headers, ...bearer() } });
}

const query = (params: Record<string, string | number | null | undefined>): string => {
  const entries = Object.entries(params).filter((entry): entry is [string, string | number] => entry[1] !== null && entry[1] !== undefined && entry[1] !== '');
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : '';
};

type Filter = Record<string, string | number | null | undefined>;

export const operatorApi = {
  /** Checks a token by a read every operator token may make. */
  async signIn(token: string): Promise<void> {
    adminToken.set(token);
    try {
      await admin('/admin/me');
    } catch (error) {
      adminToken.clear();
      throw error;
    }
  },
  signOut: (): void => adminToken.clear(),
  me: () => admin<AdminMe>('/admin/me'),

  users: (filter: { search?: string; status?: string; group?: string; cursor?: string | null }) => admin<Page<User>>(`/admin/users${query({ limit: 20, ...filter })}`),
  keys: (filter: { user_id?: number; status?: string; cursor?: string | null }) => admin<Page<ApiKey>>(`/admin/keys${query({ limit: 50, ...filter })}`),

  user: (id: number) => admin<User>(`/admin/users/${id}`),
  createUser: (body: { name: string; group?: string; quota?: number }) => admin<User>('/admin/users', { method: 'POST', body }),
  updateUser: (id: number, body: Partial<Pick<User, 'name' | 'group' | 'status'>>) => admin<User>(`/admin/users/${id}`, { method: 'PATCH', body }),
  changeQuota: (id: number, delta: number, note?: string) => admin<User>(`/admin/users/${id}/quota`, { method: 'POST', body: { delta, note } }),

  createKey: (body: KeySettings & { user_id: number }) => admin<ApiKey & { key: string }>('/admin/keys', { method: 'POST', body }),
  updateKey: (id: number, body: KeySettings & { status?: 'enabled' | 'disabled' }) => admin<ApiKey>(`/admin/keys/${id}`, { method: 'PATCH', body }),
  /** For good: no later change undoes it (a disabled key can be enabled again). */
  revokeKey: (id: number) => admin<null>(`/admin/keys/${id}`, { method: 'DELETE' }),
  /** A one-time code (a minute) that opens the customer console as the key: the key itself never reaches this page. */
  consoleCode: (id: number) => admin<ConsoleCode>(`/admin/keys/${id}/console-session`, { method: 'POST' }),

  createChannel: (body: { name: string; base_url: string; api_key: string; models?: string[]; priority?: number; weight?: number }) =>
    admin<Channel>('/admin/channels', { method: 'POST', body }),
  channels: (filter: { status?: string; model?: string; cursor?: string | null }) => admin<Page<Channel>>(`/admin/channels${query({ limit: 50, ...filter })}`),
  updateChannel: (id: number, body: Partial<Pick<Channel, 'status' | 'priority' | 'weight' | 'submit_qps' | 'query_qps' | 'max_inflight'>>) =>
    admin<Channel>(`/admin/channels/${id}`, { method: 'PATCH', body }),
  testChannel: (id: number) => admin<ChannelTest>(`/admin/channels/${id}/test`, { method: 'POST' }),

  tasks: (filter: Filter & { cursor?: string | null }) => admin<Page<AdminTask>>(`/admin/tasks${query({ limit: 20, ...filter })}`),
  task: (taskId: string) => admin<TaskDetail>(`/admin/tasks/${encodeURIComponent(taskId)}`),
  /** The task's detail at every change (GET /admin/tasks/{id}/events), the token in the Authorization header: an EventSource could send it only in the URL. */
  followTask: (taskId: string, onMessage: (task: TaskDetail) => void, signal: AbortSignal) =>
    readEventStream(adminPath(`/admin/tasks/${encodeURIComponent(taskId)}/events`), { headers: bearer(), signal, onMessage: (data) => onMessage(JSON.parse(data) as TaskDetail) }),
  failTask: (taskId: string, reason: string) => admin<AdminTask & { refunded: number }>(`/admin/tasks/${encodeURIComponent(taskId)}/fail`, { method: 'POST', body: { reason } }),

  models: () => admin<{ data: ModelPrice[] }>('/admin/models'),
  updateModel: (model: string, body: Partial<Pick<ModelPrice, 'price' | 'resolution_ratios' | 'enabled'>>) =>
    admin<ModelPrice>(`/admin/models/${encodeURIComponent(model)}`, { method: 'PATCH', body }),
  groups: () => admin<{ data: Group[] }>('/admin/groups'),
  createGroup: (name: string, ratio: number) => admin<Group>('/admin/groups', { method: 'POST', body: { name, ratio } }),
  updateGroup: (name: string, ratio: number) => admin<Group>(`/admin/groups/${encodeURIComponent(name)}`, { method: 'PATCH', body: { ratio } }),

  usage: (filter: { group_by: UsageGroupBy; from?: string; to?: string; user_id?: number }) =>
    admin<{ data: AdminUsageRow[]; from: string; to: string }>(`/admin/usage${query(filter)}`),
  system: () => admin<SystemState>('/admin/system'),
  audit: (filter: Filter & { cursor?: string | null }) => admin<Page<AuditEntry>>(`/admin/audit${query({ limit: 20, ...filter })}`),
  /** Every matching log row as CSV: fetched with the token (a plain link could not send it), handed to the browser as a file. */
  async logsCsv(filter: Filter): Promise<Blob> {
    const res = await fetch(`/admin/logs${query({ ...filter, format: 'csv' })}`, { headers: bearer(), credentials: 'same-origin' });
    if (!res.ok) throw new Error(`the gateway answered ${res.status}`);
    return res.blob();
  },

  logs: (filter: { user_id?: number; task_id?: string; type?: number; model?: string; cursor?: string | null; limit?: number }) =>
    admin<Page<LogEntry>>(`/admin/logs${query({ limit: 20, ...filter })}`),
  webhookDeliveries: (filter: { task_id?: string; cursor?: string | null; limit?: number }) =>
    admin<Page<WebhookDelivery>>(`/admin/webhooks${query({ limit: 20, ...filter })}`),
};
