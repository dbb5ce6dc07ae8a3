// The web console's files at /console: hashed assets cached for a year (a new build has new
// names), index.html revalidated every time so a new build is picked up at once. Any other path
// under /console is one of the app's own pages and gets index.html (the app routes in the browser).
import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '../lib/errors.ts';
import { CONSOLE_DIST, CONSOLE_INDEX } from './console-files.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
const ASSETS = '/console/assets/';

export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  const hidden = { schema: { hide: true } };
  if (!existsSync(CONSOLE_INDEX)) {
    const notBuilt = async () => {
      throw new AppError('unavailable', 'the web console is not built: run `npm run console:build` (npm start builds it)');
    };
    app.get('/console', hidden, notBuilt);
    app.get('/console/*', hidden, notBuilt);
    return;
  }
  await app.register(fastifyStatic, {
    root: CONSOLE_DIST,
    prefix: '/console/',
    // Routes for the files present at start-up, so that the catch-all below gets everything else.
    wildcard: false,
    index: false,
    // The build writes .br and .gz next to each file (console/vite.config.ts).
    preCompressed: true,
    cacheControl: false,
    setHeaders: (reply, file) => {
      reply.header('cache-control', file.includes('/assets/') ? IMMUTABLE : REVALIDATE);
    },
  });
  const page = (reply: FastifyReply) => reply.header('cache-control', REVALIDATE).sendFile('index.html');
  app.get('/console', hidden, (_request, reply) => reply.redirect('/console/'));
  app.get('/console/', hidden, (_request, reply) => page(reply));
  app.get('/console/*', hidden, (request, reply) => {
    // A missing asset is a 404, not the app: a browser must never cache index.html as a script.
    if (request.url.startsWith(ASSETS)) throw new AppError('not_found', `no such console file: ${request.url.split('?')[0]}`);
    return page(reply);
  });
}
