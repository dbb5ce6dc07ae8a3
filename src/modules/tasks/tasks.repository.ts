import type { Task } from '../../generated/prisma/client.ts';
import { AppError } from '../../lib/errors.ts';
import { asJson, type Db } from '../../lib/prisma.ts';
import type { PriceSnapshot } from '../pricing/quota.ts';
import type { NormalizedRequest } from './normalize-request.ts';

export type TaskRow = Task;

export const LOG_TYPE = { topUp: 1, consume: 2, manage: 3, system: 4, error: 5, refund: 6 } as const;

export interface NewTask {
  taskId: string;
  userId: number;
  keyId: number;
  keyHasQuotaLimit: boolean;
  group: string;
  model: string;
  action: string;
  platform: string;
  request: NormalizedRequest;
  price: PriceSnapshot;
}

export const insufficientQuota = (): AppError => new AppError('insufficient_user_quota', 'insufficient user quota');

/**
 * The money path of a submit, in one transaction: conditional deducts (the key's own limit
 * first, then the user's balance, neither below zero), the task row, the consume log. Any
 * failure rolls all of it back, so a rejected submit leaves no trace.
 */
export async function insertChargedTask(db: Db, task: NewTask): Promise<TaskRow> {
  const quota = task.price.quota;
  return db.$transaction(async (tx) => {
    if (task.keyHasQuotaLimit) {
      const keyDebited = await tx.$executeRaw`
        UPDATE api_keys SET quota_used = quota_used + ${quota}
        WHERE id = ${task.keyId} AND quota_limit - quota_used >= ${quota}`;
      if (keyDebited !== 1) throw insufficientQuota();
    }
    const userDebited = await tx.$executeRaw`
      UPDATE users SET quota = quota - ${quota}, used_quota = used_quota + ${quota}, updated_at = now()
      WHERE id = ${task.userId} AND quota >= ${quota}`;
    if (userDebited !== 1) throw insufficientQuota();
    const row = await tx.task.create({
      data: {
        taskId: task.taskId,
        platform: task.platform,
        userId: task.userId,
        keyId: task.keyId,
        group: task.group,
        model: task.model,
        upstreamModel: task.model,
        action: task.action,
        quota: BigInt(quota),
        priceSnapshot: asJson(task.price),
        request: asJson(task.request),
      },
    });
    await tx.log.create({
      data: {
        type: LOG_TYPE.consume,
        userId: task.userId,
        keyId: task.keyId,
        taskId: task.taskId,
        model: task.model,
        quota: BigInt(quota),
        content: describeCharge(task.action, task.price),
        dedupeKey: `charge:${task.taskId}`,
      },
    });
    return row;
  });
}

function describeCharge(action: string, p: PriceSnapshot): string {
  return `${action}: ${p.seconds} s at ${p.resolution} (×${p.resolution_ratio}), ${p.price_per_second}/s, group ${p.group} (×${p.group_ratio})`;
}

/** The task with this public id if `userId` owns it; another user's task is as good as absent. */
export async function findOwnedTask(db: Db, taskId: string, userId: number): Promise<TaskRow | null> {
  const task = await db.task.findUnique({ where: { taskId } });
  return task && task.userId === userId ? task : null;
}
