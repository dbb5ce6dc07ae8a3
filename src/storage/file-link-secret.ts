// The secret that signs file links, generated once per gateway and kept in the `settings` table
// so every process signs and checks links alike. Two processes starting at once both try to
// insert their own; the insert that loses does nothing, and both read back the one that won.
import { randomBytes } from 'node:crypto';
import type { Db } from '../lib/database.ts';

export const FILE_LINK_SECRET_SETTING = 'file_link_secret';

export async function loadFileLinkSecret(db: Db): Promise<string> {
  await db.setting.createMany({ data: [{ key: FILE_LINK_SECRET_SETTING, value: randomBytes(32).toString('hex') }], skipDuplicates: true });
  const setting = await db.setting.findUniqueOrThrow({ where: { key: FILE_LINK_SECRET_SETTING } });
  return setting.value;
}
