// The gateway on a Redis Cluster (REDIS_CLUSTER_NODES): three masters started from the
// redis-server binary. BullMQ's multi-key scripts need every key of a queue in one hash slot, so
// the namespace is a hash tag ({prefix}); the rate limiters' scripts, the cache bus's pub/sub and
// the marker that notices lost data work there too.
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/context.ts';
import { balanceOf, createCustomer, createKey, type Customer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit, waitForFinal } from '../helpers/gateway.ts';
import { type PrivateRedisCluster, startRedisCluster } from '../helpers/redis-cluster.ts';

let cluster: PrivateRedisCluster;
let ctx: GatewayContext;
let customer: Customer;
const START = 100_000_000;

beforeAll(async () => {
  cluster = await startRedisCluster();
  ctx = await createGatewayContext({ env: { REDIS_CLUSTER_NODES: cluster.nodes } });
  customer = await createCustomer(ctx.http, START);
}, 60_000);
afterAll(async () => {
  await ctx?.close();
  await cluster?.close();
});

const prompt = (directives: string) => ({ ...specExamples.t2v, prompt: `${directives} ${specExamples.t2v.prompt}` });

/** Every key of the cluster, from each master. */
async function allKeys(): Promise<string[]> {
  const redis = ctx.redis as Cluster;
  return (await Promise.all(redis.nodes('master').map((node) => node.keys('*')))).flat();
}

describe('on a Redis Cluster', () => {
  it('runs tasks end to end, settling successes and refunding failures', async () => {
    expect(ctx.redis).toBeInstanceOf(Cluster);
    const ok = await submit(ctx, customer.key, prompt('[sim:ms=200]'));
    const failed = await submit(ctx, customer.key, prompt('[sim:fail=DataInspectionFailed]'));
    expect((await waitForFinal(ctx, customer.key, ok)).status).toBe('SUCCESS');
    expect((await waitForFinal(ctx, customer.key, failed)).status).toBe('FAILURE');
    expect(await balanceOf(ctx.http, customer.userId)).toEqual({ quota: START - 250_000, used_quota: 250_000 });
    // The queues, the upstream budgets and the lost-data marker: all of them under the hash tag.
    const keys = await allKeys();
    const namespace = `{${ctx.config.REDIS_PREFIX}}`;
    expect(keys.filter((k) => k.startsWith(`${namespace}:bull:tasks:`)).length).toBeGreaterThan(0);
    expect(keys).toContain(`${namespace}:epoch`);
    expect(keys.filter((k) => !k.startsWith(`${namespace}:`))).toEqual([]);
  });

  it('carries cache invalidations between instances: a revoked key stops working on a peer', async () => {
    const key = await createKey(ctx.http, customer.userId);
    const peer = await ctx.startPeer();
    const probe = () => peer.http('GET', '/v1/video/generations/task_probe', { token: key.key });
    expect((await probe()).status).toBe(404);
    expect((await ctx.http('PATCH', `/admin/keys/${key.id}`, { token: ADMIN_TOKEN, body: { status: 'disabled' } })).status).toBe(200);
    const started = Date.now();
    while ((await probe()).status !== 401) expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('counts a key\'s rpm_limit across instances in the cluster', async () => {
    const limited = await createCustomer(ctx.http, START);
    expect((await ctx.http('PATCH', `/admin/keys/${limited.keyId}`, { token: ADMIN_TOKEN, body: { rpm_limit: 2 } })).status).toBe(200);
    const peer = await ctx.startPeer();
    const statuses = [];
    for (const http of [ctx.http, peer.http, ctx.http]) statuses.push((await http('GET', '/v1/videos', { token: limited.key })).status);
    expect(statuses).toEqual([200, 200, 429]);
    const keys = await allKeys();
    expect(keys).toContain(`{${ctx.config.REDIS_PREFIX}}:rpm:${limited.keyId}`);
  });

  it('finishes open tasks when the cluster loses its data', async () => {
    await ctx.stopWorkers();
    const ids = [await submit(ctx, customer.key, prompt('[sim:ms=200]')), await submit(ctx, customer.key, specExamples.i2v)];
    for (const node of (ctx.redis as Cluster).nodes('master')) await node.flushall();
    await ctx.startWorker();
    for (const id of ids) expect((await waitForFinal(ctx, customer.key, id, 30_000)).status).toBe('SUCCESS');
  });
});
