// Retention: stored copies whose time is up lose their files and become 'expired', in batches,
// without a failing delete holding up the rest; old uploads are purged by date.
import { randomBytes } from 'node:crypto';
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileLinkSigner } from '../../src/storage/file-link-signer.ts';
import { LocalStorage } from '../../src/storage/local-storage.ts';
import type { Storage } from '../../src/storage/storage.ts';
import { purgeExpiredResults, purgeExpiredUploads } from '../../src/worker/result-retention.ts';
import { createCustomer } from '../helpers/factories.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { filesUnder, scratchDir } from '../storage/helpers.ts';

const log = pino({ level: 'silent' });

let ctx: TestContext;
let dir: Awaited<ReturnType<typeof scratchDir>>;
let storage: LocalStorage;
let userId: number;

beforeAll(async () => {
  ctx = await createTestContext();
  dir = await scratchDir();
  storage = await LocalStorage.open({ dir: dir.path, signer: new FileLinkSigner(randomBytes(32).toString('hex'), 'http://files.test') });
  userId = (await createCustomer(ctx.http)).userId;
});
afterAll(async () => {
  await ctx?.close();
  await dir?.remove();
});

/** A successful task with a stored copy (video and, unless told otherwise, thumbnail) expiring at `expiresSql`. */
async function storedCopy(expiresSql: string, options: { copy?: string; thumbnail?: boolean } = {}): Promise<string> {
  const taskId = `task_${randomBytes(16).toString('hex')}`;
  const videoKey = `results/${taskId}.mp4`;
  const thumbnailKey = options.thumbnail === false ? null : `results/${taskId}.thumbnail.webp`;
  await storage.put(videoKey, randomBytes(2_000), 'video/mp4');
  if (thumbnailKey) await storage.put(thumbnailKey, randomBytes(200), 'image/webp');
  await ctx.query(
    `INSERT INTO tasks (task_id, user_id, "group", model, upstream_model, action, status, quota, price_snapshot, request,
                        result_url, result_copy, result_key, result_bytes, result_sha256, thumbnail_key, finish_time, result_expires_at)
     VALUES ($1, $2, 'default', 'wan2.7-t2v', 'wan2.7-t2v', 'textGenerate', 'SUCCESS', 0, '{}', '{}',
             'https://upstream.test/v.mp4', $3::result_copy, $4, 2000, $5, $6, now(), ${expiresSql})`,
    [taskId, userId, options.copy ?? 'stored', videoKey, 'a'.repeat(64), thumbnailKey],
  );
  return taskId;
}

const copyOf = async (taskId: string) =>
  (await ctx.query<{ result_copy: string; status: string }>('SELECT result_copy, status FROM tasks WHERE task_id = $1', [taskId])).rows[0];
const filesOf = async (taskId: string) => (await filesUnder(join(dir.path, 'results'))).filter((f) => f.includes(taskId));

describe('purgeExpiredResults', () => {
  it('deletes the files of expired copies, marks them expired, and leaves the rest', async () => {
    const expired = await Promise.all([
      storedCopy(`now() - interval '1 minute'`),
      storedCopy(`now() - interval '40 days'`),
      storedCopy(`now() - interval '1 second'`, { thumbnail: false }),
    ]);
    const current = await storedCopy(`now() + interval '1 hour'`);
    const failed = await storedCopy(`now() - interval '1 day'`, { copy: 'failed' });

    expect(await purgeExpiredResults({ db: ctx.db, storage, log, batchSize: 2 })).toBe(3);
    for (const taskId of expired) {
      expect(await copyOf(taskId)).toEqual({ result_copy: 'expired', status: 'SUCCESS' });
      expect(await filesOf(taskId)).toEqual([]);
    }
    expect(await copyOf(current)).toEqual({ result_copy: 'stored', status: 'SUCCESS' });
    expect(await filesOf(current)).toHaveLength(2);
    // Not 'stored': not this job's to delete.
    expect(await copyOf(failed)).toMatchObject({ result_copy: 'failed' });
    expect(await filesOf(failed)).toHaveLength(2);

    expect(await purgeExpiredResults({ db: ctx.db, storage, log })).toBe(0);
  });

  it('expires a copy whose files are already gone', async () => {
    const taskId = await storedCopy(`now() - interval '1 minute'`);
    await storage.delete(`results/${taskId}.mp4`);
    await storage.delete(`results/${taskId}.thumbnail.webp`);
    expect(await purgeExpiredResults({ db: ctx.db, storage, log })).toBe(1);
    expect(await copyOf(taskId)).toMatchObject({ result_copy: 'expired' });
  });

  it('goes on past a copy whose files cannot be deleted, and gets it on a later run', async () => {
    const stuck = await storedCopy(`now() - interval '2 minutes'`);
    const others = await Promise.all(Array.from({ length: 5 }, () => storedCopy(`now() - interval '1 minute'`)));
    const failing: Storage = {
      put: (...args) => storage.put(...args),
      get: (...args) => storage.get(...args),
      signedUrl: (...args) => storage.signedUrl(...args),
      delete: async (key) => {
        if (key.includes(stuck)) throw new Error('storage unavailable');
        await storage.delete(key);
      },
    };
    expect(await purgeExpiredResults({ db: ctx.db, storage: failing, log, batchSize: 2 })).toBe(5);
    for (const taskId of others) expect(await copyOf(taskId)).toMatchObject({ result_copy: 'expired' });
    expect(await copyOf(stuck)).toMatchObject({ result_copy: 'stored' });

    expect(await purgeExpiredResults({ db: ctx.db, storage, log })).toBe(1);
    expect(await copyOf(stuck)).toMatchObject({ result_copy: 'expired' });
    expect(await filesOf(stuck)).toEqual([]);
  });
});

describe('purgeExpiredUploads', () => {
  it('deletes uploads last written before the cut-off, and nothing else', async () => {
    const old = new Date(Date.now() - 10 * 86_400_000);
    await storage.put('uploads/old.png', Buffer.from('old'), 'image/png');
    await storage.put('uploads/odd-type', Buffer.from('old, with its own type'), 'image/bmp');
    await storage.put('uploads/new.png', Buffer.from('new'), 'image/png');
    await storage.put('results/task_keep.mp4', Buffer.from('video'), 'video/mp4');
    for (const key of ['uploads/old.png', 'uploads/odd-type', 'results/task_keep.mp4']) await utimes(join(dir.path, key), old, old);

    expect(await purgeExpiredUploads(storage, new Date(Date.now() - 86_400_000))).toBe(2);
    expect(await filesUnder(join(dir.path, 'uploads'))).toEqual(['new.png']);
    expect(await filesUnder(dir.path)).toContain('results/task_keep.mp4');
    expect(await purgeExpiredUploads(storage, new Date(Date.now() - 86_400_000))).toBe(0);
  });
});
