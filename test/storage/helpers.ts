// Pieces the storage and result-copy tests share: scratch folders and the real /files/ route on
// its own Fastify.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { registerErrorHandlers } from '../../src/http/error-handler.ts';
import { fileRoutes } from '../../src/http/file.routes.ts';
import type { LocalStorage } from '../../src/storage/local-storage.ts';

export async function scratchDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'vgw-storage-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** fileRoutes on a listening Fastify at http://127.0.0.1:<port>, with the API's schemas and error answers. */
export async function serveFiles(storage: LocalStorage, port: number): Promise<FastifyInstance> {
  // Test clients keep connections alive; closing must not wait for them.
  const app = Fastify({ forceCloseConnections: true });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandlers(app, { bodyLimit: 1024, uploadLimit: 1024 });
  await app.register(fileRoutes, { storage });
  await app.listen({ port, host: '127.0.0.1' });
  return app;
}

/** Every file under `dir`, hidden ones included, as paths relative to it. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}
