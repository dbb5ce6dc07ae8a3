// Chooses the storage driver from the configuration (STORAGE_DRIVER).
import type { Config } from '../config/env.ts';
import type { Db } from '../db/database.ts';
import { loadFileLinkSecret } from './file-link-secret.ts';
import { FileLinkSigner } from './file-link-signer.ts';
import type { GatewayStorage } from './gateway-storage.ts';
import { LocalStorage } from './local-storage.ts';
import { S3Storage } from './s3-storage.ts';

export type StorageConfig = Pick<
  Config,
  | 'STORAGE_DRIVER'
  | 'STORAGE_DIR'
  | 'PUBLIC_BASE_URL'
  | 'PORT'
  | 'S3_BUCKET'
  | 'S3_REGION'
  | 'S3_ENDPOINT'
  | 'S3_PUBLIC_ENDPOINT'
  | 'S3_ACCESS_KEY_ID'
  | 'S3_SECRET_ACCESS_KEY'
  | 'S3_FORCE_PATH_STYLE'
>;

/** How clients reach this gateway, without a trailing slash. */
export const publicBaseUrl = (config: Pick<Config, 'PUBLIC_BASE_URL' | 'PORT'>): string =>
  (config.PUBLIC_BASE_URL || `http://localhost:${config.PORT}`).replace(/\/+$/, '');

/**
 * The configured driver. The local one reads (or, the first time, creates) the link-signing
 * secret in the settings table, so every process must be given the same database.
 */
export async function createStorage(config: StorageConfig, db: Db): Promise<GatewayStorage> {
  if (config.STORAGE_DRIVER === 's3') {
    return new S3Storage({
      bucket: config.S3_BUCKET,
      region: config.S3_REGION,
      endpoint: config.S3_ENDPOINT,
      publicEndpoint: config.S3_PUBLIC_ENDPOINT,
      accessKeyId: config.S3_ACCESS_KEY_ID,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
    });
  }
  const signer = new FileLinkSigner(await loadFileLinkSecret(db), publicBaseUrl(config));
  return LocalStorage.open({ dir: config.STORAGE_DIR, signer });
}
