// A real S3-compatible server for the tests, in-process: s3rver keeps buckets in a folder and
// speaks S3's REST API (multipart uploads, ranges, listing, presigned GETs with their expiry
// enforced; it does not check SigV4 signatures themselves).
import S3rver from 's3rver';
import { loadConfig, type Config } from '../../src/config/env.ts';
import { scratchDir } from './helpers.ts';

export interface S3Server {
  endpoint: string;
  bucket: string;
  /** Configuration of the gateway's S3 driver pointed at this server. */
  config(overrides?: Record<string, string>): Config;
  close(): Promise<void>;
}

export async function startS3Server(bucket = 'vgw-results'): Promise<S3Server> {
  const dir = await scratchDir();
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir.path, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    config: (overrides = {}) =>
      loadConfig(
        {
          STORAGE_DRIVER: 's3',
          S3_BUCKET: bucket,
          S3_ENDPOINT: endpoint,
          S3_REGION: 'us-east-1',
          S3_ACCESS_KEY_ID: 'S3RVER',
          S3_SECRET_ACCESS_KEY: 'S3RVER',
          S3_FORCE_PATH_STYLE: 'true',
          ...overrides,
        },
        '/nonexistent/.env',
      ),
    async close() {
      await server.close();
      await dir.remove();
    },
  };
}
