// A storage directory of the run's own for the processes under test (uploads, result copies and
// thumbnails), removed afterwards, so a run leaves nothing in the checkout's data/storage.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Cleanup } from './cleanup.ts';

export async function scratchStorageDir(cleanup: Cleanup): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vgw-bench-storage-'));
  cleanup.add(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return dir;
}
