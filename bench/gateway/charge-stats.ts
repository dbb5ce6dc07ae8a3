// How the gateway's group commit batched a measurement's submits, from its own metrics: rows per
// charge statement and the time each statement took, as the difference between two scrapes.
export interface ChargeCounters {
  statements: number;
  rows: number;
  seconds: number;
}

const sample = (text: string, name: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
};

export async function readChargeCounters(baseUrl: string): Promise<ChargeCounters> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return {
    statements: sample(text, 'vgw_charge_batch_rows_count'),
    rows: sample(text, 'vgw_charge_batch_rows_sum'),
    seconds: sample(text, 'vgw_charge_statement_duration_seconds_sum'),
  };
}

/** `<key>_batch_rows_mean` and `<key>_statement_ms_mean` between two readings. */
export function chargeFacts(key: string, before: ChargeCounters, after: ChargeCounters): Record<string, number> {
  const statements = after.statements - before.statements;
  if (statements <= 0) return {};
  return {
    [`${key}_batch_rows_mean`]: Math.round(((after.rows - before.rows) / statements) * 10) / 10,
    [`${key}_statement_ms_mean`]: Math.round(((after.seconds - before.seconds) / statements) * 10_000) / 10,
  };
}
