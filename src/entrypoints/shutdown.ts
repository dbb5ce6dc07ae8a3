import type { FastifyBaseLogger } from 'fastify';

/**
 * Runs `close` once on SIGINT/SIGTERM; a second signal, or a close that takes longer than
 * `drainMs` (SHUTDOWN_DRAIN_MS), exits at once.
 */
export function onShutdown(log: FastifyBaseLogger, drainMs: number, close: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    log.info({ signal, drain_ms: drainMs }, 'shutting down: finishing the work in hand');
    setTimeout(() => {
      log.error({ drain_ms: drainMs }, 'shutdown took longer than SHUTDOWN_DRAIN_MS; exiting');
      process.exit(1);
    }, drainMs).unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
