// Model prices and group ratios as operators change them. Every process reads them through its
// PriceCatalog, which the caller tells to reload (CacheBus 'catalog') once the change commits;
// a task keeps the price snapshot it was charged with.
import { type Selectable, sql } from 'kysely';
import type { Queryable } from '../../db/database.ts';
import type { Group, ModelPrice } from '../../generated/kysely/database.ts';
import { AppError } from '../../lib/errors.ts';
import { unixSeconds } from '../../lib/time.ts';

export type ModelPriceRow = Selectable<ModelPrice>;
export type GroupRow = Selectable<Group>;

export function toModelPriceView(row: ModelPriceRow) {
  return {
    model: row.model,
    price: Number(row.pricePerSecond),
    resolution_ratios: Object.fromEntries(Object.entries(row.resolutionRatios).map(([tier, ratio]) => [tier, Number(ratio)])),
    enabled: row.enabled,
    updated_at: unixSeconds(row.updatedAt),
  };
}

export function toGroupView(row: GroupRow) {
  return { name: row.name, ratio: Number(row.ratio), created_at: unixSeconds(row.createdAt), updated_at: unixSeconds(row.updatedAt) };
}

export function listModelPrices(db: Queryable): Promise<ModelPriceRow[]> {
  return db.selectFrom('modelPrices').selectAll().orderBy('model').execute();
}

export async function getModelPrice(db: Queryable, model: string, lock = false): Promise<ModelPriceRow> {
  let query = db.selectFrom('modelPrices').selectAll().where('model', '=', model);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new AppError('not_found', `model ${model} not found; GET /admin/models lists the priced models`, 'model');
  return row;
}

export async function updateModelPrice(
  db: Queryable,
  model: string,
  changes: { price?: number; resolution_ratios?: Record<string, number>; enabled?: boolean },
): Promise<ModelPriceRow> {
  await getModelPrice(db, model, true);
  return db
    .updateTable('modelPrices')
    .set({
      pricePerSecond: changes.price === undefined ? undefined : String(changes.price),
      resolutionRatios: changes.resolution_ratios,
      enabled: changes.enabled,
      updatedAt: sql`now()`,
    })
    .where('model', '=', model)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function listGroups(db: Queryable): Promise<GroupRow[]> {
  return db.selectFrom('groups').selectAll().orderBy('name').execute();
}

export async function getGroup(db: Queryable, name: string, lock = false): Promise<GroupRow> {
  let query = db.selectFrom('groups').selectAll().where('name', '=', name);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new AppError('not_found', `group ${name} not found`, 'name');
  return row;
}

export async function createGroup(db: Queryable, input: { name: string; ratio: number }): Promise<GroupRow> {
  const row = await db
    .insertInto('groups')
    .values({ name: input.name, ratio: String(input.ratio) })
    .onConflict((oc) => oc.column('name').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new AppError('conflict', `group ${input.name} already exists; change its ratio with PATCH /admin/groups/${input.name}`, 'name');
  return row;
}

export async function updateGroup(db: Queryable, name: string, changes: { ratio: number }): Promise<GroupRow> {
  const row = await db.updateTable('groups').set({ ratio: String(changes.ratio), updatedAt: sql`now()` }).where('name', '=', name).returningAll().executeTakeFirst();
  if (!row) throw new AppError('not_found', `group ${name} not found`, 'name');
  return row;
}
