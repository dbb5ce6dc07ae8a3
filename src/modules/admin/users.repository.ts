import { type Selectable, sql } from 'kysely';
import type { Db, Queryable } from '../../db/database.ts';
import type { User } from '../../generated/kysely/database.ts';
import { AppError, badRequest } from '../../lib/errors.ts';
import { newestFirst, type PageRequest, toPage } from '../../lib/newest-first.ts';
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
    max_inflight: user.maxInflight,
    rpm_limit: user.rpmLimit,
    allowed_ips: user.allowedIps ?? [],
    created_at: unixSeconds(user.createdAt),
    updated_at: unixSeconds(user.updatedAt),
  };
}

const userNotFound = (id: number) => new AppError('not_found', `user ${id} not found`);

async function requireGroup(db: Queryable, group: string): Promise<void> {
  if (!(await db.selectFrom('groups').select('id').where('name', '=', group).executeTakeFirst())) {
    throw badRequest(`unknown group: ${group}`, 'group');
  }
}

/** Creates a user; an initial quota is booked as a top-up so the ledger explains the balance. */
export interface UserLimits {
  max_inflight?: number | null;
  rpm_limit?: number | null;
  allowed_ips?: string[];
}

/** Creates a user (inside the caller's transaction); an initial quota is booked as a top-up so the ledger explains the balance. */
export async function createUser(tx: Queryable, input: { name: string; group?: string; quota?: number } & UserLimits): Promise<Selectable<User>> {
  const group = input.group ?? 'default';
  await requireGroup(tx, group);
  const quota = BigInt(input.quota ?? 0);
  const user = await tx
    .insertInto('users')
    .values({ name: input.name, group: group, quota, maxInflight: input.max_inflight ?? null, rpmLimit: input.rpm_limit ?? null, allowedIps: input.allowed_ips ?? [] })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (quota > 0n) {
    await tx.insertInto('logs').values({ type: LOG_TYPE.topUp, userId: user.id, quota, content: 'initial quota' }).execute();
  }
  return user;
}

export async function getUser(db: Queryable, id: number, lock = false): Promise<Selectable<User>> {
  let query = db.selectFrom('users').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  const user = await query.executeTakeFirst();
  if (!user) throw userNotFound(id);
  return user;
}

export interface UserFilter extends PageRequest {
  /** Part of the name (any case), or the id. */
  search?: string;
  status?: 'enabled' | 'disabled';
  group?: string;
}

export async function listUsers(db: Db, filter: UserFilter) {
  let query = db.selectFrom('users').selectAll();
  if (filter.search !== undefined) {
    const search = filter.search;
    const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => {
      const byName = eb('name', 'ilike', pattern);
      return /^\d{1,9}$/.test(search) ? eb.or([byName, eb('id', '=', Number(search))]) : byName;
    });
  }
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.group !== undefined) query = query.where('group', '=', filter.group);
  return toPage(await newestFirst(query, filter).execute(), filter.limit);
}

export async function updateUser(
  db: Queryable,
  id: number,
  changes: { name?: string; group?: string; status?: 'enabled' | 'disabled' } & UserLimits,
): Promise<Selectable<User>> {
  if (changes.group) await requireGroup(db, changes.group);
  const user = await db
    .updateTable('users')
    .set({
      name: changes.name,
      group: changes.group,
      status: changes.status,
      maxInflight: changes.max_inflight,
      rpmLimit: changes.rpm_limit,
      allowedIps: changes.allowed_ips,
      updatedAt: sql`now()`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!user) throw userNotFound(id);
  return user;
}

/**
 * Tops up (delta > 0, log type 1) or deducts (delta < 0, log type 3), inside the caller's
 * transaction; a deduction larger than the balance is refused rather than clamped.
 */
export async function changeQuota(tx: Queryable, id: number, delta: number, note: string | undefined): Promise<Selectable<User>> {
  const amount = BigInt(delta);
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
}
