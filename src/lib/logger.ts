import type { LoggerOptions } from 'pino';

export function loggerOptions(level: string, service: string): LoggerOptions {
  return {
    level,
    base: { service },
    // Keys and admin tokens travel in these headers; they must never reach the logs.
    redact: ['req.headers.authorization', 'headers.authorization', 'apiKey', 'api_key'],
  };
}
