// Everything the operator pages read and change, through the admin API: the one module to extend
// as more of it appears (lists, dashboard, channel tests, tasks, usage, audit...).
//
// The admin token is kept for the tab's life only: sessionStorage (gone when the tab closes, never
// shared with other tabs), never localStorage, and sent only with requests to this origin's
// /admin paths.
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
  status: 'enabled' | 'disabled';
  expires_at: number | null;
  models: string[];
  quota: number | null;
  quota_used: number;
  last_used_at: number | null;
  callback_url: string | null;
  created_at: number;
}

export interface Channel {
  id: number;
  name: string;
  base_url: string;
  api_key: string;
  models: string[];
  priority: number;
  weight: number;
  status: string;
  created_at: number;
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

function admin<T>(path: string, options: RequestOptions = {}): Promise<T> {
  if (!path.startsWith('/admin/')) throw new Error(`the admin token goes to /admin paths only, not ${path}`);
  const token = adminToken.get();
  return request<T>(path, { ...options, headers: { ...options.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
}

const query = (params: Record<string, string | number | null | undefined>): string => {
  const entries = Object.entries(params).filter((entry): entry is [string, string | number] => entry[1] !== null && entry[1] !== undefined && entry[1] !== '');
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : '';
};

export const operatorApi = {
  /** Checks a token by a read every operator token may make. */
  async signIn(token: string): Promise<void> {
    adminToken.set(token);
    try {
      await admin('/admin/logs?limit=1');
    } catch (error) {
      adminToken.clear();
      throw error;
    }
  },
  signOut: (): void => adminToken.clear(),

  user: (id: number) => admin<User>(`/admin/users/${id}`),
  createUser: (body: { name: string; group?: string; quota?: number }) => admin<User>('/admin/users', { method: 'POST', body }),
  updateUser: (id: number, body: Partial<Pick<User, 'name' | 'group' | 'status'>>) => admin<User>(`/admin/users/${id}`, { method: 'PATCH', body }),
  changeQuota: (id: number, delta: number, note?: string) => admin<User>(`/admin/users/${id}/quota`, { method: 'POST', body: { delta, note } }),

  createKey: (body: { user_id: number; name?: string; quota?: number | null; models?: string[] }) =>
    admin<ApiKey & { key: string }>('/admin/keys', { method: 'POST', body }),
  updateKey: (id: number, body: Partial<Pick<ApiKey, 'name' | 'status' | 'quota' | 'models'>>) => admin<ApiKey>(`/admin/keys/${id}`, { method: 'PATCH', body }),

  createChannel: (body: { name: string; base_url: string; api_key: string; models?: string[]; priority?: number; weight?: number }) =>
    admin<Channel>('/admin/channels', { method: 'POST', body }),

  logs: (filter: { user_id?: number; task_id?: string; type?: number; cursor?: string | null; limit?: number }) =>
    admin<Page<LogEntry>>(`/admin/logs${query({ limit: 20, ...filter })}`),
  webhookDeliveries: (filter: { task_id?: string; cursor?: string | null; limit?: number }) =>
    admin<Page<WebhookDelivery>>(`/admin/webhooks${query({ limit: 20, ...filter })}`),
};
