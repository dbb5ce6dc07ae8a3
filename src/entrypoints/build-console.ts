// `npm run console:build`: builds the web console (console/ → console/dist), whether or not it is stale.
import { buildConsole } from '../console/console-build.ts';

await buildConsole();
