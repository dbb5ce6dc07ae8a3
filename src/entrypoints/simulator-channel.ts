// One-shot setup step for a deployment that runs the DashScope simulator as a service of its own
// (docker-compose.yml's `simulator` profile): points the channel "built-in simulator" at it, at
// SIM_PUBLIC_URL (the address every other service reaches it by) with SIM_API_KEY, and tells the
// running workers. Safe to run again: the channel is updated, never duplicated.
import { pino } from 'pino';
import { loadConfig } from '../config/env.ts';
import { createInfra } from '../infra.ts';
import { loggerOptions } from '../lib/logger.ts';
import { upsertNamedChannel } from '../modules/admin/channels.repository.ts';
import { SIMULATOR_CHANNEL } from './local-upstream.ts';

const config = loadConfig();
const log = pino(loggerOptions(config.LOG_LEVEL, 'simulator-channel'));
if (!config.SIM_PUBLIC_URL) {
  log.error('SIM_PUBLIC_URL is empty: set it to the address the workers reach the simulator by, e.g. http://simulator:8089');
  process.exit(2);
}
const infra = await createInfra(config, 'setup');
try {
  await upsertNamedChannel(infra.db, SIMULATOR_CHANNEL, { baseUrl: config.SIM_PUBLIC_URL, apiKey: config.SIM_API_KEY }, infra.secrets);
  await infra.bus.publish({ kind: 'channels' });
  log.info({ base_url: config.SIM_PUBLIC_URL }, `channel "${SIMULATOR_CHANNEL}" points at the simulator`);
} finally {
  await infra.close();
}
