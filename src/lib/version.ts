// The gateway's version, as package.json gives it: shown in the API reference and in each worker's heartbeat.
import { readFileSync } from 'node:fs';

export const GATEWAY_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
