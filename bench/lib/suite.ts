// A suite prepares what its measurements need, takes them, and registers the undo of everything it
// created. The runner only sequences suites and reports, so a new measurement (e.g. worker
// throughput) is one more suite module in the runner's list.
import type { BenchConfig } from '../config.ts';
import type { Cleanup } from './cleanup.ts';
import type { LoadSettings, Measurement } from './measure.ts';

export interface SuiteContext {
  config: BenchConfig;
  load: LoadSettings;
  cleanup: Cleanup;
}

export interface SuiteResult {
  measurements: Measurement[];
  /** Side figures worth reporting (e.g. rows created), added to the JSON summary as they are. */
  facts?: Record<string, number>;
  /** Lines for the human-readable report, for figures that are not HTTP measurements. */
  notes?: string[];
}

export interface Suite {
  name: string;
  run(ctx: SuiteContext): Promise<SuiteResult>;
}
