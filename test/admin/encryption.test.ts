// Upstream API keys at rest: encrypted with ENCRYPTION_KEY (AES-256-GCM), so a dump of the
// database holds none of them; plain ones from before are encrypted at the next start, and a
// rotation (ENCRYPTION_KEY_PREVIOUS) re-encrypts them under the new key.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.ts';
import { createInfra } from '../../src/infra.ts';
import { SecretBox } from '../../src/lib/secret-box.ts';
import { ADMIN_TOKEN, createTestContext, type TestContext } from '../helpers/context.ts';

const OLD_KEY = 'an-old-encryption-key-of-32-chars-or-more';
const NEW_KEY = 'the-new-encryption-key-of-32-chars-or-more';
const UPSTREAM_KEY = 'sk-4d1e0c7a9b2f4c8e9f2cPLAINTEXT';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext({ ENCRYPTION_KEY: OLD_KEY });
});
afterAll(() => ctx.close());

const dump = () => execFileSync('pg_dump', ['--data-only', ctx.config.DATABASE_URL], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

describe('channel keys at rest', () => {
  it('holds no plaintext channel key in a dump of the database', async () => {
    const created = await ctx.http('POST', '/admin/channels', { token: ADMIN_TOKEN, body: { name: 'bj', base_url: 'https://dashscope.aliyuncs.com', api_key: UPSTREAM_KEY } });
    expect(created.body.api_key).toBe('sk-…TEXT');
    const text = dump();
    expect(text).toContain('enc:v1:');
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(text).not.toContain('PLAINTEXT');
    const { rows } = await ctx.query('SELECT api_key FROM channels WHERE id = $1', [created.body.id]);
    expect(new SecretBox(OLD_KEY).open(rows[0].api_key)).toBe(UPSTREAM_KEY);
  });

  it('encrypts keys stored before at the next start, and re-encrypts them under a new key on rotation', async () => {
    await ctx.query(`INSERT INTO channels (name, base_url, api_key, updated_at) VALUES ('legacy', 'https://dashscope.aliyuncs.com', 'sk-legacy-plain-0042', now())`);
    // A start with the same key: the plain one is sealed.
    const again = await createInfra(ctx.config, 'restart');
    await again.close();
    expect(dump()).not.toContain('sk-legacy-plain-0042');

    // A start with a new key and the old one as previous: everything is sealed under the new key.
    const rotated = await createInfra({ ...ctx.config, ENCRYPTION_KEY: NEW_KEY, ENCRYPTION_KEY_PREVIOUS: OLD_KEY }, 'rotate');
    await rotated.close();
    const { rows } = await ctx.query(`SELECT name, api_key FROM channels ORDER BY id`);
    const fresh = new SecretBox(NEW_KEY);
    for (const row of rows) expect(fresh.needsSealing(row.api_key), row.name).toBe(false);
    expect(rows.map((r) => fresh.open(r.api_key))).toEqual(expect.arrayContaining([UPSTREAM_KEY, 'sk-legacy-plain-0042']));
    expect(() => new SecretBox(OLD_KEY).open(rows[0].api_key)).toThrow(/neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS/);
  });

  it('refuses an ENCRYPTION_KEY shorter than 32 characters', async () => {
    expect(() => loadConfig({ ENCRYPTION_KEY: 'short' }, '/nonexistent/.env')).toThrow(/ENCRYPTION_KEY must be at least 32 characters/);
  });
});
