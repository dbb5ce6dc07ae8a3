// A tiny real HTTP server standing in for DashScope: it answers each request with the next scripted
// reply and records what it was sent, so tests can check paths, headers and bodies on the wire.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Reply {
  status: number;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is (HTML from a proxy, an empty body...). */
  text?: string;
  contentType?: string;
  /** Wait this long before answering at all. */
  delayMs?: number;
  /** Send the status line, headers and part of the body, then never finish. */
  stallBody?: boolean;
  /** Send the headers and part of the body, then drop the connection. */
  resetMidBody?: boolean;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeDashScope {
  /** http://127.0.0.1:<port>, the host root a channel stores. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Queues replies; each request takes the next one. */
  reply: (...replies: Reply[]) => void;
  /** Forgets recorded requests and unused replies, so one failed test cannot shift the next one's answers. */
  reset: () => void;
  close: () => Promise<void>;
}

export async function startFakeDashScope(): Promise<FakeDashScope> {
  const queue: Reply[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = queue.shift() ?? { status: 599, text: 'no reply scripted for this request' };
      const send = () => {
        const payload = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? '');
        const contentType = reply.contentType ?? (reply.json !== undefined ? 'application/json' : 'text/plain');
        if (reply.stallBody || reply.resetMidBody) {
          res.writeHead(reply.status, { 'content-type': contentType });
          res.write(payload.slice(0, 5));
          if (reply.resetMidBody) later(() => req.socket.destroy(), 20);
          return;
        }
        res.writeHead(reply.status, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) });
        res.end(payload);
      };
      if (reply.delayMs) later(send, reply.delayMs);
      else send();
    });
  });

  function later(fn: () => void, ms: number) {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    reply: (...replies) => queue.push(...replies),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on: bound once by the OS, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
