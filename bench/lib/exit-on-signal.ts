import type { FastifyInstance } from 'fastify';

/** On SIGTERM or SIGINT: stop accepting requests, let `release` close the database, then exit. */
export function exitOnSignal(app: FastifyInstance, release: () => Promise<void>): void {
  const stop = () => {
    app
      .close()
      .then(release)
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
