// The result copy end to end: tasks run through API, worker and simulator; a BullMQ worker runs the
// copy processor on the results queue into local storage, whose signed links are served by the real
// /files/ route. Copies are whole and checked, links that can no longer work end the copy without
// touching the task, passing failures are retried, and racing copies store one.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { type Job, Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullPrefix, QUEUES, type TaskJobData } from '../../src/jobs/contracts.ts';
import { createStorage } from '../../src/storage/create-storage.ts';
import { LocalStorage } from '../../src/storage/local-storage.ts';
import { createResultLinks } from '../../src/storage/result-links.ts';
import { createResultCopyProcessor } from '../../src/worker/result-copy.ts';
import { createCustomer, type Customer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit, waitForFinal } from '../helpers/gateway.ts';
import { until } from '../helpers/until.ts';
import { HAS_FFMPEG } from '../helpers/ffmpeg.ts';
import { freePort } from '../helpers/free-port.ts';
import { filesUnder, scratchDir, serveFiles } from '../storage/helpers.ts';

const log = pino({ level: 'silent' });
// Thumbnails are expected where ffmpeg is installed; the copy itself is expected everywhere.
const thumbnailFiles = (taskId: string) => (HAS_FFMPEG ? [`${taskId}.thumbnail.webp`] : []);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let ctx: GatewayContext;
let customer: Customer;
let dir: Awaited<ReturnType<typeof scratchDir>>;
let storage: LocalStorage;
let files: FastifyInstance;
let copier: Worker<TaskJobData>;
let sampleVideo: Buffer;

beforeAll(async () => {
  dir = await scratchDir();
  ctx = await createGatewayContext({ env: { STORAGE_DIR: dir.path, RESULT_RETENTION_DAYS: '30', UPSTREAM_TIMEOUT_MS: '3000', WORKER_QUEUES: 'tasks,maintenance' } });
  customer = await createCustomer(ctx.http, 1_000_000_000);
  const port = await freePort();
  const created = await createStorage({ ...ctx.config, PUBLIC_BASE_URL: `http://127.0.0.1:${port}` }, ctx.db);
  if (!(created instanceof LocalStorage)) throw new Error('expected the local driver');
  storage = created;
  files = await serveFiles(storage, port);
  copier = new Worker(QUEUES.results.name, createResultCopyProcessor({ db: ctx.db, storage, metrics: ctx.metrics, config: ctx.config, log }), {
    connection: ctx.consumers,
    prefix: bullPrefix(ctx.config.REDIS_PREFIX),
    concurrency: 4,
  });
});
afterAll(async () => {
  await copier?.close();
  await files?.close();
  await ctx?.close();
  await dir?.remove();
});

interface CopyRow {
  status: string;
  result_url: string;
  result_copy: string;
  result_key: string | null;
  result_bytes: string | null;
  result_sha256: string | null;
  thumbnail_key: string | null;
  result_expires_at: Date | null;
  finish_time: Date;
}

const rowOf = async (taskId: string): Promise<CopyRow> =>
  (await ctx.query<CopyRow>(
    `SELECT status, result_url, result_copy, result_key, result_bytes, result_sha256, thumbnail_key, result_expires_at, finish_time
     FROM tasks WHERE task_id = $1`,
    [taskId],
  )).rows[0]!;

async function waitForCopy(taskId: string): Promise<CopyRow> {
  return until(async () => {
    const row = await rowOf(taskId);
    return row.result_copy !== 'pending' ? row : undefined;
  }, `the end of the copy of ${taskId}`);
}

/** A task that ran through the gateway and ended SUCCESS; its copy is queued as the worker queues it. */
async function succeededTask(): Promise<{ taskId: string; resultUrl: string }> {
  const taskId = await submit(ctx, customer.key, specExamples.t2v);
  const task = await waitForFinal(ctx, customer.key, taskId);
  expect(task.status).toBe('SUCCESS');
  // The upstream's link, from DashScope's answer: the record's result_url turns into the gateway's
  // own link as soon as the copy lands, which may already have happened.
  const resultUrl = task.data.output.video_url as string;
  sampleVideo ??= await downloadSample(resultUrl);
  // What the reconciler does for a pending copy: a job, unless one is already on its way.
  await ctx.queues.results.ensureJob(taskId);
  return { taskId, resultUrl };
}

let template: { taskId: string; resultUrl: string };

/**
 * A successful task whose copy is pending and not queued: a clone of one that ran, with the
 * result link (and, in SQL, the finish time) a test wants. Nothing copies it until the test says so.
 */
async function pendingCopy(resultUrl?: string, finishTime = 'finish_time'): Promise<{ taskId: string; resultUrl: string }> {
  template ??= await succeededTask();
  await waitForCopy(template.taskId);
  const taskId = `task_${randomBytes(16).toString('hex')}`;
  const url = resultUrl ?? template.resultUrl;
  await ctx.query(
    `INSERT INTO tasks (task_id, platform, user_id, key_id, "group", channel_id, model, upstream_model, action, status, progress,
                        result_url, result_copy, quota, price_snapshot, request, data, upstream_task_id, submit_time, start_time, finish_time)
     SELECT $2, platform, user_id, key_id, "group", channel_id, model, upstream_model, action, 'SUCCESS', 100,
            $3, 'pending', quota, price_snapshot, request, data, upstream_task_id, submit_time, start_time, ${finishTime}
     FROM tasks WHERE task_id = $1`,
    [template.taskId, taskId, url],
  );
  return { taskId, resultUrl: url };
}

/** Queues the copy as the gateway does, with a short backoff when a test wants retries soon. */
async function enqueueCopy(taskId: string, backoffMs?: number): Promise<Job<TaskJobData>> {
  const options = { ...QUEUES.results.options, jobId: taskId, ...(backoffMs ? { backoff: { type: 'fixed', delay: backoffMs } } : {}) };
  return ctx.queues.results.queue.add(QUEUES.results.jobName, { taskId }, options);
}

const jobFor = (taskId: string) => ({ data: { taskId } }) as Job<TaskJobData>;

/** Runs the copy once and expects it given up for good: no retry could help. */
async function expectGivenUpSoon(taskId: string, resultUrl: string) {
  await expect(createResultCopyProcessor({ db: ctx.db, storage, metrics: ctx.metrics, config: ctx.config, log })(jobFor(taskId))).rejects.toMatchObject({ name: 'UnrecoverableError' });
  expect(await rowOf(taskId)).toMatchObject({ status: 'SUCCESS', result_url: resultUrl, result_copy: 'failed', result_key: null });
  expect(await taskFiles(taskId)).toEqual([]);
}
const taskFiles = async (taskId: string) => (await filesUnder(join(dir.path, 'results'))).filter((f) => f.includes(taskId));

async function downloadSample(url: string): Promise<Buffer> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

/** A stand-in for the upstream's file server, answering each request as `answer` decides. */
async function startUpstream(answer: (n: number, res: ServerResponse) => void): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let count = 0;
  const server: Server = createServer((_req, res) => answer(++count, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/results/video.mp4`,
    hits: () => count,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('a successful task', () => {
  let taskId: string;
  let resultUrl: string;
  let row: CopyRow;

  beforeAll(async () => {
    ({ taskId, resultUrl } = await succeededTask());
    row = await waitForCopy(taskId);
  });

  it('gets its video copied whole, with size, SHA-256, a thumbnail and its retention recorded', async () => {
    expect(row).toMatchObject({
      status: 'SUCCESS',
      result_url: resultUrl,
      result_copy: 'stored',
      result_key: `results/${taskId}.mp4`,
      result_bytes: String(sampleVideo.length),
      result_sha256: sha256(sampleVideo),
      thumbnail_key: HAS_FFMPEG ? `results/${taskId}.thumbnail.webp` : null,
    });
    expect(row.result_expires_at!.getTime() - row.finish_time.getTime()).toBe(30 * 86_400_000);
    expect(await readFile(join(dir.path, row.result_key!))).toEqual(sampleVideo);
    if (HAS_FFMPEG) {
      const thumbnail = await readFile(join(dir.path, row.thumbnail_key!));
      expect(thumbnail.toString('latin1', 0, 4)).toBe('RIFF');
      expect(thumbnail.toString('latin1', 8, 12)).toBe('WEBP');
    }
    expect(await taskFiles(taskId)).toEqual([`${taskId}.mp4`, ...thumbnailFiles(taskId)]);
  });

  it('is then served from the gateway through the links createResultLinks hands out', async () => {
    const links = createResultLinks(storage, ctx.config);
    const fields = { resultCopy: row.result_copy, resultKey: row.result_key, resultExpiresAt: row.result_expires_at, resultUrl: row.result_url, thumbnailKey: row.thumbnail_key };
    const link = await links.linkFor(fields);
    expect(link.startsWith(`http://127.0.0.1:${(files.server.address() as { port: number }).port}/files/results/${taskId}.mp4?`)).toBe(true);
    const video = await fetch(link);
    expect(video.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await video.arrayBuffer())).toEqual(sampleVideo);
    if (HAS_FFMPEG) {
      const thumbnail = await fetch((await links.thumbnailLinkFor(fields))!);
      expect(thumbnail.status).toBe(200);
      expect(thumbnail.headers.get('content-type')).toBe('image/webp');
    }
  });

  it('is not copied again by a second run or a duplicate job', async () => {
    const before = await stat(join(dir.path, row.result_key!));
    await createResultCopyProcessor({ db: ctx.db, storage, metrics: ctx.metrics, config: ctx.config, log })(jobFor(taskId));
    await ctx.queues.results.ensureJob(taskId);
    await expect.poll(() => ctx.queues.results.queue.getJobState(taskId), { timeout: 5_000 }).toBe('completed');
    expect(await rowOf(taskId)).toEqual(row);
    expect((await stat(join(dir.path, row.result_key!))).mtimeMs).toBe(before.mtimeMs);
  });
});

describe('copies racing', () => {
  it('end with one stored copy, whole, recorded once', async () => {
    const { taskId } = await pendingCopy();
    const messages: string[] = [];
    const recording = pino({ level: 'info' }, { write: (line: string) => void messages.push(JSON.parse(line).msg) });
    const processors = Array.from({ length: 3 }, () => createResultCopyProcessor({ db: ctx.db, storage, metrics: ctx.metrics, config: ctx.config, log: recording }));
    await Promise.all(processors.map((process) => process(jobFor(taskId))));
    expect(messages.filter((m) => m === 'result video copied')).toHaveLength(1);
    const row = await rowOf(taskId);
    expect(row).toMatchObject({ result_copy: 'stored', result_bytes: String(sampleVideo.length), result_sha256: sha256(sampleVideo) });
    expect(await readFile(join(dir.path, row.result_key!))).toEqual(sampleVideo);
    expect(await taskFiles(taskId)).toEqual([`${taskId}.mp4`, ...thumbnailFiles(taskId)]);
  });

  it('do not overwrite a decision taken meanwhile, and leave no files behind', async () => {
    let release: () => void = () => {};
    const upstream = await startUpstream((_n, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': sampleVideo.length });
      res.write(sampleVideo.subarray(0, 1_000));
      release = () => res.end(sampleVideo.subarray(1_000));
    });
    try {
      const { taskId } = await pendingCopy(upstream.url);
      const copying = createResultCopyProcessor({ db: ctx.db, storage, metrics: ctx.metrics, config: ctx.config, log })(jobFor(taskId));
      await expect.poll(() => upstream.hits()).toBe(1);
      await ctx.query(`UPDATE tasks SET result_copy = 'failed' WHERE task_id = $1`, [taskId]);
      release();
      await copying;
      expect(await rowOf(taskId)).toMatchObject({ result_copy: 'failed', result_key: null, thumbnail_key: null, result_sha256: null });
      expect(await taskFiles(taskId)).toEqual([]);
    } finally {
      await upstream.close();
    }
  });
});

describe('without ffmpeg', () => {
  it('the video is still copied, without a thumbnail', async () => {
    const { taskId } = await pendingCopy();
    const config = { ...ctx.config, FFMPEG_PATH: join(dir.path, 'no-such-ffmpeg') };
    await createResultCopyProcessor({ db: ctx.db, storage, metrics: ctx.metrics, config, log })(jobFor(taskId));
    const row = await rowOf(taskId);
    expect(row).toMatchObject({ result_copy: 'stored', thumbnail_key: null, result_sha256: sha256(sampleVideo) });
    expect(await taskFiles(taskId)).toEqual([`${taskId}.mp4`]);
  });
});

describe('a link that can no longer work', () => {
  async function expectGivenUp(taskId: string, resultUrl: string) {
    const job = await enqueueCopy(taskId);
    const row = await waitForCopy(taskId);
    expect(row).toMatchObject({ status: 'SUCCESS', result_url: resultUrl, result_copy: 'failed', result_key: null, thumbnail_key: null });
    await expect.poll(async () => (await job.getState()), { timeout: 5_000 }).toBe('failed');
    const finished = await ctx.queues.results.queue.getJob(taskId);
    expect(finished?.attemptsMade).toBe(1);
    expect(await taskFiles(taskId)).toEqual([]);
    const record = await ctx.http('GET', `/v1/video/generations/${taskId}`, { token: customer.key });
    expect(record.body.data).toMatchObject({ status: 'SUCCESS', result_url: resultUrl });
  }

  it('ends the copy as failed, at once, when its Expires is past', async () => {
    const expired = new URL((template ??= await succeededTask()).resultUrl);
    expired.searchParams.set('Expires', String(Math.floor(Date.now() / 1000) - 60));
    const { taskId } = await pendingCopy(expired.toString());
    await expectGivenUp(taskId, expired.toString());
  });

  it('ends the copy as failed when the task ended more than 24 hours ago', async () => {
    const upstream = await startUpstream((_n, res) => res.end(sampleVideo));
    try {
      const { taskId } = await pendingCopy(upstream.url, `now() - interval '25 hours'`);
      await expectGivenUp(taskId, upstream.url);
      expect(upstream.hits()).toBe(0);
    } finally {
      await upstream.close();
    }
  });

  it('ends the copy as failed when the download is refused after the link expired', async () => {
    // The link's 24 hours run out while the download is under way, and the answer is a 403.
    const upstream = await startUpstream((_n, res) => setTimeout(() => res.writeHead(403).end('AccessDenied'), 1_000));
    try {
      const { taskId } = await pendingCopy(upstream.url, `now() - interval '24 hours' + interval '500 milliseconds'`);
      await expectGivenUp(taskId, upstream.url);
      expect(upstream.hits()).toBe(1);
    } finally {
      await upstream.close();
    }
  });
});

describe('a link that points elsewhere, or at too much', () => {
  it('is not followed when it redirects: the copy ends as failed at once, and the target is never asked', async () => {
    const target = await startUpstream((_n, res) => res.end(sampleVideo));
    const upstream = await startUpstream((_n, res) => res.writeHead(302, { location: target.url }).end());
    try {
      const { taskId } = await pendingCopy(upstream.url);
      await expectGivenUpSoon(taskId, upstream.url);
      expect(target.hits()).toBe(0);
    } finally {
      await upstream.close();
      await target.close();
    }
  });

  it('is not followed by the content route either, before the copy exists', async () => {
    const target = await startUpstream((_n, res) => res.end(sampleVideo));
    const upstream = await startUpstream((_n, res) => res.writeHead(302, { location: target.url }).end());
    try {
      const { taskId } = await pendingCopy(upstream.url);
      const res = await ctx.http('GET', `/v1/videos/${taskId}/content`, { token: customer.key });
      expect(res.status, JSON.stringify(res.body)).toBe(404);
      expect(res.body.error.message).toMatch(/the upstream's link answered 302/);
      expect(target.hits()).toBe(0);
    } finally {
      await upstream.close();
      await target.close();
    }
  });

  it.each([
    ['announced by its Content-Length', (res: ServerResponse) => res.writeHead(200, { 'content-length': sampleVideo.length }).end(sampleVideo)],
    ['sent without a length', (res: ServerResponse) => res.writeHead(200).end(sampleVideo)],
  ])('is not stored when larger than RESULT_MAX_BYTES (%s)', async (_how, answer) => {
    const upstream = await startUpstream((_n, res) => answer(res));
    try {
      const { taskId } = await pendingCopy(upstream.url);
      const small = createResultCopyProcessor({ db: ctx.db, storage, metrics: ctx.metrics, config: { ...ctx.config, RESULT_MAX_BYTES: sampleVideo.length - 1 }, log });
      await expect(small(jobFor(taskId))).rejects.toThrow(/larger than the \d+-byte limit \(RESULT_MAX_BYTES\)/);
      expect(await rowOf(taskId)).toMatchObject({ result_copy: 'failed', result_key: null });
      expect(await taskFiles(taskId)).toEqual([]);
    } finally {
      await upstream.close();
    }
  });
});

describe('a download that fails for a while', () => {
  it('is retried by BullMQ until it succeeds: a 403 before the expiry, a 500, a truncated body, then the video', async () => {
    const upstream = await startUpstream((n, res) => {
      if (n === 1) return res.writeHead(403).end('AccessDenied');
      if (n === 2) return res.writeHead(500).end('InternalError');
      if (n === 3) {
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': sampleVideo.length });
        res.write(sampleVideo.subarray(0, 1_000));
        return setTimeout(() => res.destroy(), 50);
      }
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': sampleVideo.length }).end(sampleVideo);
    });
    try {
      const { taskId } = await pendingCopy(upstream.url);
      await enqueueCopy(taskId, 200);
      const row = await waitForCopy(taskId);
      expect(upstream.hits()).toBe(4);
      expect(row).toMatchObject({ status: 'SUCCESS', result_url: upstream.url, result_copy: 'stored', result_bytes: String(sampleVideo.length), result_sha256: sha256(sampleVideo) });
      expect(await readFile(join(dir.path, row.result_key!))).toEqual(sampleVideo);
      expect((await ctx.queues.results.queue.getJob(taskId))?.attemptsMade).toBeGreaterThanOrEqual(3);
    } finally {
      await upstream.close();
    }
  });

  it('stalling mid-body is abandoned after UPSTREAM_TIMEOUT_MS and retried', async () => {
    const upstream = await startUpstream((n, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': sampleVideo.length });
      if (n === 1) res.write(sampleVideo.subarray(0, 500));
      else res.end(sampleVideo);
    });
    try {
      const { taskId } = await pendingCopy(upstream.url);
      const started = Date.now();
      await enqueueCopy(taskId, 100);
      const row = await waitForCopy(taskId);
      expect(row.result_copy).toBe('stored');
      expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
      expect(upstream.hits()).toBe(2);
      expect(await readFile(join(dir.path, row.result_key!))).toEqual(sampleVideo);
    } finally {
      await upstream.close();
    }
  });
});

describe('tasks with nothing to copy', () => {
  it('are left alone', async () => {
    const taskId = await submit(ctx, customer.key, { ...specExamples.t2v, prompt: `[sim:fail=DataInspectionFailed] ${specExamples.t2v.prompt}` });
    expect((await waitForFinal(ctx, customer.key, taskId)).status).toBe('FAILURE');
    await createResultCopyProcessor({ db: ctx.db, storage, metrics: ctx.metrics, config: ctx.config, log })(jobFor(taskId));
    expect((await rowOf(taskId)).result_copy).toBe('none');
    await createResultCopyProcessor({ db: ctx.db, storage, metrics: ctx.metrics, config: ctx.config, log })(jobFor('task_doesnotexist'));
  });

  it('are deleted ones: never copied, and the copy ends for good', async () => {
    const { taskId } = await pendingCopy();
    await ctx.query('UPDATE tasks SET deleted_at = now() WHERE task_id = $1', [taskId]);
    await createResultCopyProcessor({ db: ctx.db, storage, metrics: ctx.metrics, config: ctx.config, log })(jobFor(taskId));
    expect((await rowOf(taskId)).result_copy).toBe('expired');
    expect(await taskFiles(taskId)).toEqual([]);
  });
});

describe('a task deleted while its copy is being made', () => {
  it('keeps the copy only until the next retention pass', async () => {
    const { taskId } = await pendingCopy();
    const processor = createResultCopyProcessor({
      db: ctx.db,
      metrics: ctx.metrics,
      // The owner deletes the task just as the video starts streaming in.
      storage: new Proxy(storage, {
        get(target, prop) {
          if (prop === 'put') {
            return async (...args: Parameters<LocalStorage['put']>) => {
              await ctx.query('UPDATE tasks SET deleted_at = now() WHERE task_id = $1', [taskId]);
              return target.put(...args);
            };
          }
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }),
      config: ctx.config,
      log,
    });
    const before = Date.now();
    await processor(jobFor(taskId));
    const row = await rowOf(taskId);
    expect(row.result_copy).toBe('stored');
    expect(row.result_expires_at!.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(row.result_expires_at!.getTime()).toBeGreaterThanOrEqual(before - 1_000);
  });
});
