// A webhook receiver on 127.0.0.1: records every request and answers as the test scripts it.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Waits this long before answering. */
  delayMs?: number;
}

export interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  /** The requests whose body is the webhook of `taskId`. */
  forTask(taskId: string): ReceivedWebhook[];
  close(): Promise<void>;
}

/** `answer(n)` decides the answer to the n-th request (0-based); default 200. */
export async function startReceiver(answer: (n: number, path: string) => Answer = () => ({ status: 200 })): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const n = received.length;
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const { status, headers, body, delayMs } = answer(n, req.url ?? '');
      setTimeout(() => res.writeHead(status, headers).end(body ?? ''), delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/video`,
    received,
    forTask: (taskId) => received.filter((r) => (JSON.parse(r.body) as { data: { task_id: string } }).data.task_id === taskId),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL nothing listens on: a port that was free a moment ago. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hooks/video`;
}
