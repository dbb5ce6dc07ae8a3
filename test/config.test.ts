import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'vgw-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const envFile = (text: string) => {
  const file = path.join(dir, `${++files}.env`);
  writeFileSync(file, text);
  return file;
};

describe('loadConfig', () => {
  it('has working defaults', () => {
    const config = loadConfig({}, '/nonexistent/.env');
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      REDIS_URL: 'redis://127.0.0.1:6379',
      ADMIN_TOKEN: '',
      LOG_LEVEL: 'info',
      BODY_LIMIT_BYTES: 10 * 1024 * 1024,
    });
  });

  it('reads .env when present and lets the real environment win', () => {
    const file = envFile('PORT=4000\nADMIN_TOKEN=from-file\nLOG_LEVEL=debug\n');
    expect(loadConfig({ PORT: '5000' }, file)).toMatchObject({ PORT: 5000, ADMIN_TOKEN: 'from-file', LOG_LEVEL: 'debug' });
  });

  it('says which variable is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' }, '/nonexistent/.env')).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' }, '/nonexistent/.env')).toThrow(/DATABASE_URL must be a postgresql:\/\/ URL/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' }, '/nonexistent/.env')).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ STORAGE_DRIVER: 's3' }, '/nonexistent/.env')).toThrow(/S3_BUCKET: S3_BUCKET is required when STORAGE_DRIVER is s3/);
    expect(loadConfig({ STORAGE_DRIVER: 's3', S3_BUCKET: 'videos' }, '/nonexistent/.env').S3_BUCKET).toBe('videos');
  });

  it('keeps the shutdown drain longer than an upstream call', () => {
    expect(loadConfig({}, '/nonexistent/.env')).toMatchObject({ UPSTREAM_TIMEOUT_MS: 30_000, SHUTDOWN_DRAIN_MS: 45_000 });
    expect(() => loadConfig({ SHUTDOWN_DRAIN_MS: '30000' }, '/nonexistent/.env')).toThrow(/SHUTDOWN_DRAIN_MS: SHUTDOWN_DRAIN_MS \(30000\) must be longer than UPSTREAM_TIMEOUT_MS \(30000\)/);
    expect(loadConfig({ SHUTDOWN_DRAIN_MS: '6000', UPSTREAM_TIMEOUT_MS: '5000' }, '/nonexistent/.env').SHUTDOWN_DRAIN_MS).toBe(6_000);
  });

  it('is frozen', () => {
    const config = loadConfig({}, '/nonexistent/.env');
    expect(Object.isFrozen(config)).toBe(true);
  });
});
