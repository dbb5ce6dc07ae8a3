import type { Db } from './database.ts';

export const DEFAULT_GROUP = { name: 'default', ratio: '1' };

/** What every Wan 2.7 model costs on a new gateway (the API guide prices its examples with it). */
export const DEFAULT_PRICE = { pricePerSecond: '0.1', resolutionRatios: { '720P': 1, '1080P': 1.5 } } as const;

export const DEFAULT_MODEL_PRICES = ['wan2.7-t2v', 'wan2.7-i2v', 'wan2.7-r2v', 'wan2.7-videoedit'].map((model) => ({ model, ...DEFAULT_PRICE }));

/** Inserts the defaults that are missing; never overwrites what an operator has changed. */
export async function seedDefaults(db: Db): Promise<void> {
  await db.insertInto('groups').values(DEFAULT_GROUP).onConflict((oc) => oc.column('name').doNothing()).execute();
  await db.insertInto('modelPrices').values(DEFAULT_MODEL_PRICES).onConflict((oc) => oc.column('model').doNothing()).execute();
}
