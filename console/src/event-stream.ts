// Server-sent events read with fetch() instead of EventSource, which cannot send an Authorization
// header: the operator pages authenticate with the admin token, and that token must never go into
// a URL or a cookie. The customer pages read their streams the same way (their session cookie goes
// with any same-origin fetch), so there is one reader for both. It does not reconnect: a stream
// that fails is for the caller to replace (live-task.ts polls instead).

export interface StreamOptions {
  headers?: Record<string, string>;
  signal: AbortSignal;
  /** The data of each message (events without an `event:` name). */
  onMessage: (data: string) => void;
}

/** An event as the stream's fields build it; dispatched at each blank line. */
interface Pending {
  event: string;
  data: string[];
}

/**
 * Reads the event stream at `path` (of this origin) until it ends: resolves after its `end` event,
 * or at once on 204 (the gateway has nothing more to send); rejects when it is refused, when it is
 * cut, and when it closes without `end`.
 */
export async function readEventStream(path: string, options: StreamOptions): Promise<void> {
  if (!path.startsWith('/') || path.startsWith('//')) throw new Error(`not a path of this origin: ${path}`);
  const res = await fetch(path, { headers: { accept: 'text/event-stream', ...options.headers }, credentials: 'same-origin', cache: 'no-store', signal: options.signal });
  if (res.status === 204) return;
  if (res.status !== 200 || !res.body || !res.headers.get('content-type')?.startsWith('text/event-stream')) {
    await res.body?.cancel();
    throw new Error(`the event stream answered ${res.status}`);
  }

  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let pending: Pending = { event: '', data: [] };
  // Lines end with CRLF, LF or CR (a CR at the end of a chunk may be the start of a CRLF).
  const LINE = /\r\n|\n|\r(?=[^\n])/;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the event stream closed before its end');
    buffer += value;
    let match: RegExpExecArray | null;
    while ((match = LINE.exec(buffer))) {
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      if (line === '') {
        // A blank line dispatches what the lines before it built.
        const { event, data } = pending;
        pending = { event: '', data: [] };
        if (event === 'end') {
          await reader.cancel();
          return;
        }
        if (data.length > 0 && (event === '' || event === 'message')) options.onMessage(data.join('\n'));
        continue;
      }
      if (line.startsWith(':')) continue; // a comment: the server's keep-alive
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const raw = colon === -1 ? '' : line.slice(colon + 1);
      const text = raw.startsWith(' ') ? raw.slice(1) : raw;
      if (field === 'event') pending.event = text;
      else if (field === 'data') pending.data.push(text);
      // `id` and `retry` are for clients that reconnect on their own; this one does not.
    }
  }
}
