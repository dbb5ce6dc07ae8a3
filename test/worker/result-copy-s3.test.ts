// The result copy into S3 (s3rver, in-process), end to end: the video is uploaded whole, ffmpeg
// reads it back from S3 through a presigned URL to make the thumbnail, and the link clients get is
// a presigned URL that downloads it.
import { createHash } from 'node:crypto';
import { Worker } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bullPrefix, QUEUES, type TaskJobData } from '../../src/jobs/contracts.ts';
import { createStorage } from '../../src/storage/create-storage.ts';
import type { GatewayStorage } from '../../src/storage/gateway-storage.ts';
import { createResultLinks } from '../../src/storage/result-links.ts';
import { createResultCopyProcessor } from '../../src/worker/result-copy.ts';
import { createCustomer, type Customer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit, waitForFinal } from '../helpers/gateway.ts';
import { HAS_FFMPEG } from '../helpers/ffmpeg.ts';
import { type S3Server, startS3Server } from '../storage/s3-server.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let ctx: GatewayContext;
let customer: Customer;
let s3: S3Server;
let storage: GatewayStorage;
let copier: Worker<TaskJobData>;

beforeAll(async () => {
  s3 = await startS3Server();
  ctx = await createGatewayContext({ env: { WORKER_QUEUES: 'tasks,maintenance' } });
  customer = await createCustomer(ctx.http, 100_000_000);
  storage = await createStorage(s3.config(), ctx.db);
  copier = new Worker(QUEUES.results.name, createResultCopyProcessor({ db: ctx.db, storage, metrics: ctx.metrics, config: ctx.config, log: pino({ level: 'silent' }) }), {
    connection: ctx.consumers,
    prefix: bullPrefix(ctx.config.REDIS_PREFIX),
  });
});
afterAll(async () => {
  await copier?.close();
  storage?.close();
  await ctx?.close();
  await s3?.close();
});

it('copies a successful task into S3 and hands out a presigned link to it', async () => {
  const taskId = await submit(ctx, customer.key, specExamples.t2v);
  const task = await waitForFinal(ctx, customer.key, taskId);
  expect(task.status).toBe('SUCCESS');
  // The upstream's link: the record's result_url may already be the copy's, made by the copier below.
  const original = Buffer.from(await (await fetch(task.data.output.video_url)).arrayBuffer());
  await ctx.queues.results.ensureJob(taskId);

  let row: Record<string, any> | undefined;
  await expect
    .poll(async () => {
      row = (await ctx.query('SELECT * FROM tasks WHERE task_id = $1', [taskId])).rows[0];
      return row?.result_copy;
    }, { timeout: 20_000 })
    .toBe('stored');
  expect(row).toMatchObject({
    result_key: `results/${taskId}.mp4`,
    result_bytes: String(original.length),
    result_sha256: sha256(original),
    thumbnail_key: HAS_FFMPEG ? `results/${taskId}.thumbnail.webp` : null,
  });

  const stored = await storage.get(row!.result_key);
  expect(stored?.contentType).toBe('video/mp4');
  expect(Buffer.concat(await stored!.body.toArray())).toEqual(original);

  const links = createResultLinks(storage, ctx.config);
  const fields = { resultCopy: row!.result_copy, resultKey: row!.result_key, resultExpiresAt: row!.result_expires_at, resultUrl: row!.result_url, thumbnailKey: row!.thumbnail_key };
  const link = await links.linkFor(fields);
  expect(link.startsWith(`${s3.endpoint}/${s3.bucket}/results/${taskId}.mp4?`)).toBe(true);
  expect(Buffer.from(await (await fetch(link)).arrayBuffer())).toEqual(original);
  if (HAS_FFMPEG) {
    const thumbnail = await fetch((await links.thumbnailLinkFor(fields))!);
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');
    expect(Buffer.from(await thumbnail.arrayBuffer()).toString('latin1', 8, 12)).toBe('WEBP');
  }
});
