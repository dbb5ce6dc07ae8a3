// Where a process's CPU time went, from the .cpuprofile that `node --cpu-prof` writes on exit: self
// time per function and per package, and the inclusive time of the project's own functions,
// each as a share of the time the process was busy (idle time depends on what else the machine
// runs, so it is reported beside the shares rather than in them). Only samples inside a window can be counted, so a profile
// of a whole process can be read for one measurement alone.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based. */
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** The format Chrome DevTools reads (Profiler.Profile); times in microseconds of the monotonic clock. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Cost {
  name: string;
  ms: number;
  /** Share of the busy time: what was sampled in the window, less the process's idle time. */
  percent: number;
}

export interface ProfileSummary {
  sampledMs: number;
  /** Time the process had nothing to run (its event loop waited for I/O or for the CPU). */
  idleMs: number;
  samples: number;
  /** Self time per package: a node_modules package, Node.js itself, a folder of src/, or V8's own entries. */
  byPackage: Cost[];
  /** Self time per function. */
  bySelf: Cost[];
  /** Time with the function anywhere on the stack, for the functions in src/. */
  byInclusive: Cost[];
}

export async function readCpuProfile(file: string): Promise<CpuProfile> {
  return JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
}

/** `window` in microseconds of the profile's clock; absent: the whole profile. */
export function summarizeProfile(profile: CpuProfile, repoRoot: string, window?: { startUs: number; endUs: number }, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const root = `file://${path.resolve(repoRoot)}/`;

  const self = new Map<string, number>();
  const packages = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let sampledUs = 0;
  let idleUs = 0;
  let samples = 0;
  // A sample stands for the time until the next one: under CPU contention the gaps vary.
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    const weight = (profile.timeDeltas[i + 1] ?? 0) > 0 ? (profile.timeDeltas[i + 1] as number) : 0;
    if (window && (time < window.startUs || time >= window.endUs)) continue;
    const node = byId.get(profile.samples[i] as number);
    if (!node) continue;
    samples += 1;
    sampledUs += weight;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += weight;
      continue;
    }
    add(self, functionLabel(node.callFrame, root), weight);
    add(packages, packageOf(node.callFrame, root), weight);
    const onStack = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parentOf.get(id)) {
      const frame = (byId.get(id) as ProfileNode).callFrame;
      if (frame.url.startsWith(`${root}src/`)) onStack.add(functionLabel(frame, root));
    }
    for (const label of onStack) add(inclusive, label, weight);
  }

  const busyUs = sampledUs - idleUs;
  const costs = (totals: Map<string, number>): Cost[] =>
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), percent: busyUs > 0 ? Math.round((1000 * us) / busyUs) / 10 : 0 }));
  return {
    sampledMs: Math.round(sampledUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    samples,
    byPackage: costs(packages),
    bySelf: costs(self),
    byInclusive: costs(inclusive),
  };
}

const add = (totals: Map<string, number>, key: string, us: number) => totals.set(key, (totals.get(key) ?? 0) + us);

function relativeUrl(url: string, root: string): string {
  if (url.startsWith(root)) return url.slice(root.length);
  return url.replace(/^file:\/\//, '');
}

function functionLabel(frame: CallFrame, root: string): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  return `${name} ${relativeUrl(frame.url, root).replace(/^.*node_modules\//, '')}:${frame.lineNumber + 1}`;
}

function packageOf(frame: CallFrame, root: string): string {
  const { url, functionName } = frame;
  // (program), (garbage collector): V8's own entries, kept as they are. Other functions without a
  // script are native: Node's C++ bindings (writev, writeUtf8String, Hash...) and V8 builtins.
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'Node.js';
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module) return module[1] as string;
  const relative = relativeUrl(url, root);
  // src/modules/tasks/..., src/db/...: the folder is the unit the code is organized by.
  const folder = /^(src\/(?:modules\/)?[^/]+)\//.exec(relative);
  return folder ? (folder[1] as string) : relative;
}

/** The summary as Markdown tables, ready for docs/benchmarks.md. */
export function formatProfileSummary(title: string, summary: ProfileSummary): string {
  const table = (heading: string, costs: Cost[]) => [
    `| ${heading} | ms | % |`,
    '| --- | ---: | ---: |',
    ...costs.map((c) => `| ${c.name.replaceAll('|', '\\|')} | ${c.ms} | ${c.percent.toFixed(1)} |`),
  ];
  return [
    `${title}: ${summary.sampledMs} ms sampled (${summary.samples} samples), ${summary.idleMs} ms of it idle; % of the busy time`,
    '',
    ...table('self time by package', summary.byPackage.slice(0, 15)),
    '',
    ...table('self time by function', summary.bySelf),
    '',
    ...table('inclusive time, functions in src/', summary.byInclusive.slice(0, 15)),
  ].join('\n');
}
