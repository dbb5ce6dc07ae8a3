// The billing formula, in exact decimal arithmetic.
import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { priceTask, quotaFor } from '../src/modules/pricing/quota.ts';

const price = (seconds: number, resolutionRatio: number | string, groupRatio: number | string = 1, pricePerSecond: number | string = '0.1') =>
  priceTask({
    model: 'wan2.7-t2v',
    pricePerSecond: new Decimal(pricePerSecond),
    group: 'default',
    groupRatio: new Decimal(groupRatio),
    resolution: '720P',
    resolutionRatio: new Decimal(resolutionRatio),
    seconds,
  }).quota;

describe('quota = modelPrice × 500000 × groupRatio × seconds × resolutionRatio', () => {
  it('gives the spec figures', () => {
    expect(price(5, 1)).toBe(250_000);
    expect(price(10, 1.5)).toBe(750_000);
    expect(price(5, 1.5)).toBe(375_000);
    expect(price(15, 1)).toBe(750_000);
  });

  it('applies the group ratio', () => {
    expect(price(5, 1, 0.8)).toBe(200_000);
    expect(price(10, 1.5, 2)).toBe(1_500_000);
  });

  it('is exact where binary floating point is not', () => {
    // 0.07 × 500000 × 3 in floating point is 105000.00000000001.
    expect(price(3, 1, 1, '0.07')).toBe(105_000);
    expect(price(7, '1.1', '0.3', '0.13')).toBe(150_150);
  });

  it('rounds half up to a whole quota unit', () => {
    expect(price(1, 1, 1, '0.000001')).toBe(1); // 0.5 → 1
    expect(price(1, 1, 1, '0.0000009')).toBe(0); // 0.45 → 0
  });

  it('re-prices a snapshot for another duration (videoedit settlement)', () => {
    const snapshot = priceTask({
      model: 'wan2.7-videoedit',
      pricePerSecond: new Decimal('0.1'),
      group: 'default',
      groupRatio: new Decimal(1),
      resolution: '1080P',
      resolutionRatio: new Decimal('1.5'),
      seconds: 15,
    });
    expect(snapshot.quota).toBe(1_125_000);
    expect(quotaFor(snapshot, 5.02)).toBe(376_500);
  });
});
