// Builds the web console with Vite when its build is missing or older than its sources, so that
// `npm start` (and the browser tests) serve the console without a separate build step.
// `npm run console:build` (src/entrypoints/build-console.ts) builds it unconditionally.
import path from 'node:path';
import { CONSOLE_DIR, staleReason } from './console-files.ts';

interface Log {
  info(message: string): void;
}

export async function buildConsole(): Promise<void> {
  // Vite is a build tool (a dev dependency): loaded only when there is something to build.
  const { build } = await import('vite');
  // Vite and its React plugin make a development build (React's checks, dev JSX) under any other
  // NODE_ENV, such as the "test" vitest sets before its global setup builds the console.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: path.join(CONSOLE_DIR, 'vite.config.ts'), logLevel: 'warn', mode: 'production' });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

/** Builds the console if it needs it; true when it did. */
export async function ensureConsoleBuilt(log: Log): Promise<boolean> {
  const reason = staleReason();
  if (reason === null) return false;
  log.info(`building the web console (${reason}): Vite, a few seconds`);
  const started = Date.now();
  await buildConsole();
  log.info(`web console built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}
