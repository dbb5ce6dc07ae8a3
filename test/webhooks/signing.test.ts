// Webhook signatures: our own round trip, and the official OpenAI SDK accepting what we sign.
import { createHmac } from 'node:crypto';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signedHeaders, signWebhook } from '../../src/webhooks/signing.ts';
import { verifyWebhook, WEBHOOK_TOLERANCE_S } from './verify-webhook.ts';

const body = JSON.stringify({ id: 'evt_0123', type: 'task.succeeded', created_at: 1_700_000_000, data: { task_id: 'task_x' } });
const id = 'evt_0123';
const now = () => Math.floor(Date.now() / 1000);

describe('newWebhookSecret', () => {
  it('is whsec_ and the base64 of 32 random bytes, different every time', () => {
    const secrets = new Set(Array.from({ length: 50 }, () => newWebhookSecret()));
    expect(secrets.size).toBe(50);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
      expect(secret.length).toBeLessThanOrEqual(64);
    }
  });
});

describe('signWebhook / verifyWebhook', () => {
  it('signs "<id>.<timestamp>.<body>" with the base64-decoded secret (Standard Webhooks)', () => {
    // The specification's own example.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const payload = '{"test": 2432232314}';
    expect(signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, payload)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    const key = Buffer.from(secret.slice(6), 'base64');
    const expected = createHmac('sha256', key).update(`msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.${payload}`).digest('base64');
    expect(signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, payload)).toBe(`v1,${expected}`);
  });

  it('verifies what it signed and nothing else', () => {
    const secret = newWebhookSecret();
    const headers = signedHeaders(secret, id, now(), body);
    expect(verifyWebhook(secret, body, { ...headers })).toBe(true);
    expect(verifyWebhook(secret, `${body} `, { ...headers })).toBe(false);
    expect(verifyWebhook(newWebhookSecret(), body, { ...headers })).toBe(false);
    expect(verifyWebhook(secret, body, { ...headers, 'webhook-id': 'evt_other' })).toBe(false);
    expect(verifyWebhook(secret, body, { ...headers, 'webhook-timestamp': String(now() + 1) })).toBe(false);
    expect(verifyWebhook(secret, body, { ...headers, 'webhook-signature': undefined })).toBe(false);
    expect(verifyWebhook(secret, body, { ...headers, 'webhook-signature': headers['webhook-signature'].replace('v1,', 'v2,') })).toBe(false);
  });

  it('accepts any one matching signature among several', () => {
    const secret = newWebhookSecret();
    const headers = signedHeaders(secret, id, now(), body);
    const several = `v1,${Buffer.alloc(32).toString('base64')} ${headers['webhook-signature']} v1a,whatever`;
    expect(verifyWebhook(secret, body, { ...headers, 'webhook-signature': several })).toBe(true);
  });

  it('refuses a timestamp outside the tolerance', () => {
    const secret = newWebhookSecret();
    const old = now() - WEBHOOK_TOLERANCE_S - 5;
    expect(verifyWebhook(secret, body, { ...signedHeaders(secret, id, old, body) })).toBe(false);
    expect(verifyWebhook(secret, body, { ...signedHeaders(secret, id, old, body) }, { now: old * 1000 })).toBe(true);
    expect(verifyWebhook(secret, body, { ...signedHeaders(secret, id, now() + WEBHOOK_TOLERANCE_S + 5, body) })).toBe(false);
  });
});

describe('the official OpenAI SDK', () => {
  it('unwraps a webhook we signed', async () => {
    const secret = newWebhookSecret();
    const client = new OpenAI({ apiKey: 'x', webhookSecret: secret });
    const headers = { ...signedHeaders(secret, id, now(), body), 'content-type': 'application/json' };
    await expect(client.webhooks.verifySignature(body, headers)).resolves.toBeUndefined();
    expect(await client.webhooks.unwrap(body, headers)).toEqual(JSON.parse(body));
  });

  it('rejects a tampered body, another secret and an old timestamp, as we do', async () => {
    const secret = newWebhookSecret();
    const client = new OpenAI({ apiKey: 'x', webhookSecret: secret });
    const headers = signedHeaders(secret, id, now(), body);
    await expect(client.webhooks.unwrap(body.replace('task_x', 'task_y'), headers)).rejects.toThrow(/signature/);
    await expect(client.webhooks.unwrap(body, headers, newWebhookSecret())).rejects.toThrow(/signature/);
    const old = signedHeaders(secret, id, now() - 600, body);
    await expect(client.webhooks.unwrap(body, old)).rejects.toThrow(/too old/);
  });
});
