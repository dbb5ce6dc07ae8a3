// The one place that reads the environment. Everything else receives a typed `Config`.
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

export const envSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'DATABASE_URL must be a postgresql:// URL' })
    .default('postgresql://postgres@127.0.0.1:5432/video_gateway'),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'REDIS_URL must be a redis:// URL' })
    .default('redis://127.0.0.1:6379'),
  /** Namespace for every Redis key, queue and channel, so several gateways can share one Redis. */
  REDIS_PREFIX: z.string().regex(/^[\w.-]+$/).default('vgw'),
  /** Bearer token for /admin; the admin API refuses every request while it is empty. */
  ADMIN_TOKEN: z.string().default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: positiveInt.default(10 * 1024 * 1024),
});

export type Config = z.infer<typeof envSchema>;

/**
 * Parses configuration from `env` (the process environment by default), filling gaps from a
 * `.env` file in the working directory when there is one: the real environment always wins.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, envFile = '.env'): Config {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  const merged = { ...fromFile, ...definedOnly(env) };
  const parsed = envSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${problems}`);
  }
  return Object.freeze(parsed.data);
}

// An empty variable counts as unset, so `PORT=` in a shell does not override the .env file.
function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
}
