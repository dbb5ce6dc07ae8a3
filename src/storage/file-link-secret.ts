// The secret that signs file links, generated once per gateway and kept in the `settings` table
// so every process signs and checks links alike. Two processes starting at once both try to
// insert their own; the insert that loses does nothing, and both read back the one that won.
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.ts';

export const FILE_LINK_SECRET_SETTING = 'file_link_secret';

export async function loadFileLinkSecret(db: Db): Promise<string> {
  await db
    .insertInto('settings')
    .values({ key: FILE_LINK_SECRET_SETTING, value: randomBytes(32).toString('hex') })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const setting = await db.selectFrom('settings').select('value').where('key', '=', FILE_LINK_SECRET_SETTING).executeTakeFirstOrThrow();
  return setting.value;
}
