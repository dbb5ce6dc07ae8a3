// Everything the customer pages read and change, through the client API. The session is an
// HttpOnly cookie the browser sends by itself; the API key is sent once, to open the session, and
// not kept. Changes carry the session's CSRF token, which lives in memory only (a reload asks the
// server for it again with GET /v1/console/session).
import { request, type RequestOptions } from './http.ts';

export interface ConsoleSession {
  object: 'console.session';
  csrf_token: string;
  expires_at: number;
  user_id: number;
  key_id: number;
  /** The operator who opened this session to act for the key; null when the key signed in. */
  opened_by: string | null;
}

export interface Me {
  user: { id: number; name: string; group: string; status: string };
  key: {
    id: number;
    name: string;
    key_prefix: string;
    status: string;
    models: string[];
    quota_limit: number | null;
    quota_used: number;
    expires_at: number | null;
    last_used_at: number | null;
    created_at: number;
  };
  balance: { quota: number; used_quota: number; remaining: number; spent: number };
}

export interface UsageRow {
  group: string;
  tasks: number;
  charged_quota: number;
  refunded_quota: number;
  net_quota: number;
}

export interface LogEntry {
  id: string;
  type: number;
  user_id: number;
  key_id: number | null;
  task_id: string | null;
  model: string;
  quota: number;
  content: string;
  created_at: number;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Video {
  id: string;
  object: 'video';
  model: string;
  status: 'queued' | 'in_progress' | 'completed' | 'failed';
  progress: number;
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  seconds: string;
  size: string;
  prompt?: string | null;
  error: { code: string; message: string } | null;
  remixed_from_video_id: string | null;
  queue_position?: number;
}

export interface VideoList {
  data: Video[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export interface Quote {
  model: string;
  resolution: string;
  seconds: number;
  quota: number;
  usd: number;
  group: string;
  group_ratio: string;
}

let csrfToken: string | null = null;

/** Calls a client route with the session cookie, adding the CSRF token to anything that changes state. */
function call<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers = method === 'GET' || csrfToken === null ? options.headers : { ...options.headers, 'x-csrf-token': csrfToken };
  return request<T>(path, { ...options, headers });
}

export async function signIn(key: string): Promise<ConsoleSession> {
  const session = await request<ConsoleSession>('/v1/console/session', { method: 'POST', body: { key } });
  csrfToken = session.csrf_token;
  return session;
}

/** Opens a session as the key an operator's one-time code was issued for. */
export async function signInWithCode(code: string): Promise<ConsoleSession> {
  const session = await request<ConsoleSession>('/v1/console/session', { method: 'POST', body: { code } });
  csrfToken = session.csrf_token;
  return session;
}

/** The session this browser already has (after a reload), or an error when there is none. */
export async function currentSession(): Promise<ConsoleSession> {
  const session = await request<ConsoleSession>('/v1/console/session');
  csrfToken = session.csrf_token;
  return session;
}

export async function signOut(): Promise<void> {
  await call<null>('/v1/console/session', { method: 'DELETE' });
  csrfToken = null;
}

export const customerApi = {
  me: () => call<Me>('/v1/me'),
  usage: (groupBy: 'day' | 'model', days: number) => call<{ data: UsageRow[] }>(`/v1/me/usage?group_by=${groupBy}&days=${days}`),
  logs: (cursor: string | null, limit = 20) => call<Page<LogEntry>>(`/v1/me/logs?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
  videos: (after: string | null, limit = 20) => call<VideoList>(`/v1/videos?limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`),
  video: (id: string) => call<Video>(`/v1/videos/${encodeURIComponent(id)}`),
  quote: (body: unknown) => call<Quote>('/v1/video/quote', { method: 'POST', body }),
  /** JSON body, or a form with the first-frame file; both reach the same create as any client's. */
  create: (body: unknown) => call<Video>('/v1/videos', { method: 'POST', body }),
  cancel: (id: string) => call<Video>(`/v1/videos/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
};

export const videoContentUrl = (id: string, variant: 'video' | 'thumbnail' = 'video'): string =>
  `/v1/videos/${encodeURIComponent(id)}/content${variant === 'video' ? '' : `?variant=${variant}`}`;

export const videoEventsUrl = (id: string): string => `/v1/videos/${encodeURIComponent(id)}/events`;
