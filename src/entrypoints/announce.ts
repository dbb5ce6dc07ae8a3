// The line that tells whoever started the API that it is up, and where: its address and its
// interactive documentation (Fastify's own "Server listening" names the interface, not the docs).
import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config/env.ts';
import { publicBaseUrl } from '../storage/create-storage.ts';

export function announceApi(app: FastifyInstance, config: Pick<Config, 'PUBLIC_BASE_URL' | 'PORT'>, log: FastifyBaseLogger): void {
  const { port } = app.server.address() as AddressInfo;
  const url = publicBaseUrl({ PUBLIC_BASE_URL: config.PUBLIC_BASE_URL, PORT: port });
  log.info({ url, docs: `${url}/docs` }, `API ready at ${url} (interactive docs: ${url}/docs)`);
}
