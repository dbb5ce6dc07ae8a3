import { describe, expect, it } from 'vitest';
import { type Channel, pickChannel } from '../../src/worker/channels.ts';

const channel = (id: number, over: Partial<Channel> = {}): Channel => ({
  id,
  name: `c${id}`,
  baseUrl: 'http://upstream.test',
  apiKey: 'k',
  models: [],
  modelMapping: {},
  priority: 0,
  weight: 1,
  enabled: true,
  submitQps: null,
  queryQps: null,
  maxInflight: null,
  ...over,
});

const counts = (channels: Channel[], avoid: number | null, draws = 10_000) => {
  const seen = new Map<number | null, number>();
  for (let i = 0; i < draws; i++) {
    const id = pickChannel(channels, 'wan2.7-t2v', avoid)?.id ?? null;
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  return seen;
};

describe('pickChannel', () => {
  it('takes the highest priority first', () => {
    expect(counts([channel(1, { priority: 1 }), channel(2, { priority: 5 }), channel(3)], null)).toEqual(new Map([[2, 10_000]]));
  });

  it('splits one priority by weight', () => {
    const seen = counts([channel(1, { weight: 3 }), channel(2, { weight: 1 })], null);
    expect((seen.get(1) ?? 0) / 10_000).toBeGreaterThan(0.7);
    expect((seen.get(1) ?? 0) / 10_000).toBeLessThan(0.8);
  });

  it('chooses evenly when every weight is zero', () => {
    const seen = counts([channel(1, { weight: 0 }), channel(2, { weight: 0 })], null);
    expect(seen.get(1)).toBeGreaterThan(4_000);
    expect(seen.get(2)).toBeGreaterThan(4_000);
  });

  it('skips disabled channels and channels that do not serve the model', () => {
    const channels = [channel(1, { enabled: false, priority: 9 }), channel(2, { models: ['wan2.7-i2v'], priority: 8 }), channel(3, { models: ['wan2.7-t2v'] })];
    expect(counts(channels, null)).toEqual(new Map([[3, 10_000]]));
    expect(pickChannel([channel(1, { enabled: false })], 'wan2.7-t2v', null)).toBeNull();
  });

  it('moves a retry to another channel, down a priority if it must, and back only when nothing else is left', () => {
    expect(counts([channel(1, { priority: 5 }), channel(2, { priority: 5 })], 1)).toEqual(new Map([[2, 10_000]]));
    expect(counts([channel(1, { priority: 5 }), channel(2, { priority: 1 })], 1)).toEqual(new Map([[2, 10_000]]));
    expect(counts([channel(1)], 1)).toEqual(new Map([[1, 10_000]]));
  });
});
