// Without an Alibaba account, `npm start` still works end to end: when no real DashScope channel
// is configured, it runs the simulator in the same process and points a channel at it. Once an
// operator adds a real channel, the next start leaves the simulator off and its channel disabled.
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/env.ts';
import type { Db } from '../db/database.ts';
import { reachableHost } from '../lib/reachable-host.ts';
import { SecretBox } from '../lib/secret-box.ts';
import { upsertNamedChannel } from '../modules/admin/channels.repository.ts';
import { buildSimulator } from '../simulator/app.ts';
import { simulatorOptionsFromConfig } from '../simulator/options.ts';

export const SIMULATOR_CHANNEL = 'built-in simulator';

export async function startLocalUpstreamIfNeeded(config: Config, db: Db, log: FastifyBaseLogger): Promise<{ close(): Promise<void> } | null> {
  // A channel counts as real unless it holds the simulator's key; a disabled one counts as not configured.
  const secrets = new SecretBox(config.ENCRYPTION_KEY, config.ENCRYPTION_KEY_PREVIOUS);
  const live = await db.selectFrom('channels').select('apiKey').where('status', '!=', 'disabled').execute();
  const real = live.some((c) => secrets.open(c.apiKey) !== config.SIM_API_KEY);
  if (real) {
    await db
      .updateTable('channels')
      .set({ status: 'disabled', statusReason: 'a real DashScope channel is configured' })
      .where('name', '=', SIMULATOR_CHANNEL)
      .where('status', '=', 'enabled')
      .execute();
    return null;
  }

  const simulator = await buildSimulator(simulatorOptionsFromConfig(config));
  await simulator.app.listen({ port: config.SIM_PORT, host: config.SIM_HOST });
  const baseUrl = `http://${reachableHost(config.SIM_HOST)}:${config.SIM_PORT}`;
  await upsertNamedChannel(db, SIMULATOR_CHANNEL, { baseUrl, apiKey: config.SIM_API_KEY }, secrets);
  log.warn(`no DashScope channel is configured: tasks go to the built-in simulator at ${baseUrl}`);
  return { close: () => simulator.app.close() };
}
