// Summarises a .cpuprofile (e.g. one kept by `BENCH_PROFILE=1 npm run bench`) the way the bench
// does: `node scripts/run.mjs bench/profile-summary.ts <file.cpuprofile> [<from µs> <to µs>]`, the
// window in the profile's own clock (the bench prints the windows of its measurements).
import { REPO_ROOT } from './lib/child-server.ts';
import { formatProfileSummary, readCpuProfile, summarizeProfile } from './lib/cpu-profile.ts';

const [file, from, to] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/run.mjs bench/profile-summary.ts <file.cpuprofile> [<from µs> <to µs>]');
  process.exit(2);
}
const window = from && to ? { startUs: Number(from), endUs: Number(to) } : undefined;
console.log(formatProfileSummary(file, summarizeProfile(await readCpuProfile(file), REPO_ROOT, window)));
