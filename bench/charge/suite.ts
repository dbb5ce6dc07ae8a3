// What PostgreSQL spends on the gateway's charge statement itself, away from HTTP and from the other
// processes that share the cores: the statement the submits run (src/modules/tasks/charge.repository.ts),
// one after another on one connection, over BENCH_USERS customers, with 1, 12 and 48 submits a
// statement (12 is what the submit suite's batches hold at 50 connections). The figure is the
// backend's own CPU time (/proc) per charged submit; from the two ends follow what a statement costs
// whatever it holds and what each submit adds, the two numbers any change to the charge moves.
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/database.ts';
import { chargeBatch } from '../../src/modules/tasks/charge.repository.ts';
import { chargeRowFor } from '../gateway/charge-row.ts';
import { createCustomers } from '../gateway/customers.ts';
import { prepareGatewayDatabase } from '../gateway/database.ts';
import { processCpuUs } from '../lib/cpu-usage.ts';
import { log } from '../lib/log.ts';
import { rotation } from '../lib/rotation.ts';
import type { Suite } from '../lib/suite.ts';

const SMALL = 1;
const LARGE = 48;
/** 12: what the submit suite's batches hold at 50 connections. */
const BATCH_SIZES = [SMALL, 12, LARGE];
/** Charged submits measured at each batch size, after as many unmeasured ones (plans, caches). */
const SUBMITS_PER_SIZE = 12_000;

export const chargeSuite: Suite = {
  name: 'charge',
  async run({ config, cleanup }) {
    const url = await prepareGatewayDatabase(config, cleanup, `${config.gatewayDatabase}_charge`);
    const next = rotation(await createCustomers(url, config.users));
    const database = openDatabase({ url, poolSize: 1, statementTimeoutMs: 60_000, connectTimeoutMs: 10_000 });
    try {
      const { db } = database;
      const pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db)).rows[0]?.pid;
      if (pid === undefined) throw new Error('charge: could not read the backend pid');
      const facts: Record<string, number> = {};
      const notes: string[] = [];
      for (const size of BATCH_SIZES) {
        log(`charge: ${SUBMITS_PER_SIZE.toLocaleString('en')} submits, ${size} a statement, after as many to warm up`);
        const statements = Math.ceil(SUBMITS_PER_SIZE / size);
        const run = async () => {
          for (let i = 0; i < statements; i++) {
            const results = await chargeBatch(db, Array.from({ length: size }, (_, ord) => ({ ord, ...chargeRowFor(next()) })));
            if (results.some((r) => r.created === null)) throw new Error(`charge: a submit was refused (${JSON.stringify(results)})`);
          }
        };
        await run();
        const cpuBefore = await processCpuUs(pid);
        const started = performance.now();
        await run();
        const cpuUs = (await processCpuUs(pid)) - cpuBefore;
        const wallMs = (performance.now() - started) / statements;
        facts[`charge_cpu_us_per_submit_${size}`] = Math.round(cpuUs / (statements * size));
        facts[`charge_statement_ms_${size}`] = Math.round(wallMs * 100) / 100;
        notes.push(`charge, ${size} a statement: ${facts[`charge_cpu_us_per_submit_${size}`]} µs of backend CPU per submit, ${wallMs.toFixed(2)} ms a statement (commit included)`);
      }
      // Per statement: fixed + rows × each, fitted on the two ends.
      const perStatement = (size: number) => (facts[`charge_cpu_us_per_submit_${size}`] ?? Number.NaN) * size;
      const each = (perStatement(LARGE) - perStatement(SMALL)) / (LARGE - SMALL);
      facts.charge_cpu_us_each = Math.round(each);
      facts.charge_cpu_us_fixed = Math.round(perStatement(SMALL) - each * SMALL);
      notes.push(`charge: a statement costs ${facts.charge_cpu_us_fixed} µs whatever it holds, and ${facts.charge_cpu_us_each} µs per submit`);
      return { measurements: [], facts, notes };
    } finally {
      await database.close();
    }
  },
};
