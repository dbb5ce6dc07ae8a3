// quota = modelPrice × QuotaPerUnit × groupRatio × seconds × resolutionRatio, computed in decimal
// so that 0.1 × 500000 is exactly 50000, then rounded half-up to a whole quota unit.
import { Decimal } from 'decimal.js';

export const QUOTA_PER_UNIT = 500_000;

/** Everything a task's charge was computed from, stored with the task and never re-read. */
export interface PriceSnapshot {
  model: string;
  price_per_second: string;
  quota_per_unit: number;
  group: string;
  group_ratio: string;
  resolution: string;
  resolution_ratio: string;
  seconds: number;
  quota: number;
}

export interface PriceInputs {
  model: string;
  pricePerSecond: Decimal;
  group: string;
  groupRatio: Decimal;
  resolution: string;
  resolutionRatio: Decimal;
  seconds: number;
}

export function priceTask(inputs: PriceInputs): PriceSnapshot {
  const snapshot = {
    model: inputs.model,
    price_per_second: inputs.pricePerSecond.toString(),
    quota_per_unit: QUOTA_PER_UNIT,
    group: inputs.group,
    group_ratio: inputs.groupRatio.toString(),
    resolution: inputs.resolution,
    resolution_ratio: inputs.resolutionRatio.toString(),
    seconds: inputs.seconds,
  };
  return { ...snapshot, quota: quotaFor(snapshot, inputs.seconds) };
}

/** The rates one second of video is priced at (a snapshot's, or the catalog's). */
export type SecondRates = Record<'price_per_second' | 'group_ratio' | 'resolution_ratio', Decimal.Value> & { quota_per_unit: number };

/** The quota one second costs at these rates, unrounded: a task costs this × its seconds, rounded. */
export function quotaPerSecond(rates: SecondRates): Decimal {
  return new Decimal(rates.price_per_second).times(rates.quota_per_unit).times(rates.group_ratio).times(rates.resolution_ratio);
}

/** The quota the snapshot's prices give for `seconds` (the worker re-prices videoedit with it). */
export function quotaFor(snapshot: Omit<PriceSnapshot, 'quota'>, seconds: number): number {
  return quotaPerSecond(snapshot).times(seconds).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber();
}

/** Quota in USD (QUOTA_PER_UNIT quota is 1 USD); a whole quota unit is at most six decimal places. */
export const quotaToUsd = (quota: number | bigint): number => new Decimal(quota.toString()).div(QUOTA_PER_UNIT).toNumber();

/** How a charge reads in the consume log. */
export function describeCharge(action: string, p: PriceSnapshot): string {
  return `${action}: ${p.seconds} s at ${p.resolution} (×${p.resolution_ratio}), ${p.price_per_second}/s, group ${p.group} (×${p.group_ratio})`;
}
