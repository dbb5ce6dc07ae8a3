import type { User } from '../../generated/prisma/client.ts';
import { AppError, badRequest } from '../../lib/errors.ts';
import type { Db } from '../../lib/database.ts';
import { unixSeconds } from '../../lib/time.ts';
import { LOG_TYPE } from '../tasks/tasks.repository.ts';

export function toUserView(user: User) {
  return {
    id: user.id,
    name: user.name,
    group: user.groupName,
    quota: Number(user.quota),
    used_quota: Number(user.usedQuota),
    status: user.status,
    created_at: unixSeconds(user.createdAt),
    updated_at: unixSeconds(user.updatedAt),
  };
}

const userNotFound = (id: number) => new AppError('not_found', `user ${id} not found`);

async function requireGroup(db: Db, group: string): Promise<void> {
  if (!(await db.group.findUnique({ where: { name: group }, select: { id: true } }))) {
    throw badRequest(`unknown group: ${group}`, 'group');
  }
}

/** Creates a user; an initial quota is booked as a top-up so the ledger explains the balance. */
export async function createUser(db: Db, input: { name: string; group?: string; quota?: number }): Promise<User> {
  const group = input.group ?? 'default';
  await requireGroup(db, group);
  const quota = input.quota ?? 0;
  return db.$transaction(async (tx) => {
    const user = await tx.user.create({ data: { name: input.name, groupName: group, quota: BigInt(quota) } });
    if (quota > 0) {
      await tx.log.create({
        data: { type: LOG_TYPE.topUp, userId: user.id, quota: BigInt(quota), content: 'initial quota' },
      });
    }
    return user;
  });
}

export async function getUser(db: Db, id: number): Promise<User> {
  const user = await db.user.findUnique({ where: { id } });
  if (!user) throw userNotFound(id);
  return user;
}

export async function updateUser(
  db: Db,
  id: number,
  changes: { name?: string; group?: string; status?: 'enabled' | 'disabled' },
): Promise<User> {
  if (changes.group) await requireGroup(db, changes.group);
  const { count } = await db.user.updateMany({
    where: { id },
    data: { name: changes.name, groupName: changes.group, status: changes.status },
  });
  if (count === 0) throw userNotFound(id);
  return getUser(db, id);
}

/**
 * Tops up (delta > 0, log type 1) or deducts (delta < 0, log type 3) in one transaction;
 * a deduction larger than the balance is refused rather than clamped.
 */
export async function changeQuota(db: Db, id: number, delta: number, note: string | undefined): Promise<User> {
  return db.$transaction(async (tx) => {
    const changed = await tx.$executeRaw`
      UPDATE users SET quota = quota + ${delta}, updated_at = now()
      WHERE id = ${id} AND quota + ${delta} >= 0`;
    if (changed !== 1) {
      const user = await tx.user.findUnique({ where: { id }, select: { quota: true } });
      if (!user) throw userNotFound(id);
      throw badRequest(`cannot deduct ${-delta}: user ${id} has only ${user.quota} quota left`, 'delta');
    }
    await tx.log.create({
      data: {
        type: delta > 0 ? LOG_TYPE.topUp : LOG_TYPE.manage,
        userId: id,
        quota: BigInt(Math.abs(delta)),
        content: note ?? (delta > 0 ? 'top-up by operator' : 'deduction by operator'),
      },
    });
    return tx.user.findUniqueOrThrow({ where: { id } });
  });
}
