// The DashScope simulator on its own (npm run simulator): a stand-in upstream for local runs,
// demos and benchmarks, configured by the SIM_* settings.
import { loadConfig } from '../config/env.ts';
import { buildSimulator } from '../simulator/app.ts';
import { simulatorOptionsFromConfig } from '../simulator/options.ts';
import { onShutdown } from './shutdown.ts';

const config = loadConfig();
const { app } = await buildSimulator(simulatorOptionsFromConfig(config));
await app.listen({ port: config.SIM_PORT, host: config.SIM_HOST });
onShutdown(app.log, config.SHUTDOWN_DRAIN_MS, () => app.close());
