import { type Selectable, sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { User } from '../../generated/kysely/database.ts';
import { AppError, badRequest } from '../../lib/errors.ts';
import { unixSeconds } from '../../lib/time.ts';
import { LOG_TYPE } from '../tasks/tasks.repository.ts';

export function toUserView(user: Selectable<User>) {
  return {
    id: user.id,
    name: user.name,
    group: user.group,
    quota: Number(user.quota),
    used_quota: Number(user.usedQuota),
    status: user.status,
    created_at: unixSeconds(user.createdAt),
    updated_at: unixSeconds(user.updatedAt),
  };
}

const userNotFound = (id: number) => new AppError('not_found', `user ${id} not found`);

async function requireGroup(db: Db, group: string): Promise<void> {
  if (!(await db.selectFrom('groups').select('id').where('name', '=', group).executeTakeFirst())) {
    throw badRequest(`unknown group: ${group}`, 'group');
  }
}

/** Creates a user; an initial quota is booked as a top-up so the ledger explains the balance. */
export async function createUser(db: Db, input: { name: string; group?: string; quota?: number }): Promise<Selectable<User>> {
  const group = input.group ?? 'default';
  await requireGroup(db, group);
  const quota = BigInt(input.quota ?? 0);
  return db.transaction().execute(async (tx) => {
    const user = await tx.insertInto('users').values({ name: input.name, group: group, quota }).returningAll().executeTakeFirstOrThrow();
    if (quota > 0n) {
      await tx.insertInto('logs').values({ type: LOG_TYPE.topUp, userId: user.id, quota, content: 'initial quota' }).execute();
    }
    return user;
  });
}

export async function getUser(db: Db, id: number): Promise<Selectable<User>> {
  const user = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  if (!user) throw userNotFound(id);
  return user;
}

export async function updateUser(
  db: Db,
  id: number,
  changes: { name?: string; group?: string; status?: 'enabled' | 'disabled' },
): Promise<Selectable<User>> {
  if (changes.group) await requireGroup(db, changes.group);
  const user = await db
    .updateTable('users')
    .set({ name: changes.name, group: changes.group, status: changes.status, updatedAt: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!user) throw userNotFound(id);
  return user;
}

/**
 * Tops up (delta > 0, log type 1) or deducts (delta < 0, log type 3) in one transaction;
 * a deduction larger than the balance is refused rather than clamped.
 */
export async function changeQuota(db: Db, id: number, delta: number, note: string | undefined): Promise<Selectable<User>> {
  const amount = BigInt(delta);
  return db.transaction().execute(async (tx) => {
    const user = await tx
      .updateTable('users')
      .set((eb) => ({ quota: eb('quota', '+', amount), updatedAt: sql`now()` }))
      .where('id', '=', id)
      .where((eb) => eb(eb('quota', '+', amount), '>=', 0n))
      .returningAll()
      .executeTakeFirst();
    if (!user) {
      const current = await tx.selectFrom('users').select('quota').where('id', '=', id).executeTakeFirst();
      if (!current) throw userNotFound(id);
      throw badRequest(`cannot deduct ${-delta}: user ${id} has only ${current.quota} quota left`, 'delta');
    }
    await tx
      .insertInto('logs')
      .values({
        type: delta > 0 ? LOG_TYPE.topUp : LOG_TYPE.manage,
        userId: id,
        quota: amount < 0n ? -amount : amount,
        content: note ?? (delta > 0 ? 'top-up by operator' : 'deduction by operator'),
      })
      .execute();
    return user;
  });
}
