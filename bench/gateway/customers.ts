// Users and keys go straight into the tables: through the admin API each customer costs two HTTP
// round trips, and setting up 1,000 of them that way would take longer than a measurement.
import { newApiKey, sha256Hex } from '../../src/lib/ids.ts';
import { withClient } from '../lib/postgres.ts';
import { STARTING_BALANCE } from '../workload.ts';

export interface Customer {
  userId: number;
  keyId: number;
  /** The plaintext key; only its hash is stored. */
  key: string;
}

/** How much of a key the admin API keeps in `key_prefix`. */
const KEY_PREFIX_LENGTH = 10;

/** `count` enabled users in the default group, each with one unrestricted key and `balance` quota. */
export async function createCustomers(databaseUrl: string, count: number, balance = STARTING_BALANCE): Promise<Customer[]> {
  return withClient(databaseUrl, async (client) => {
    await client.query('BEGIN');
    const users = await client.query<{ id: number }>(
      `INSERT INTO users (name, quota) SELECT 'bench-' || n, $2::bigint FROM generate_series(1, $1::int) AS n RETURNING id`,
      [count, balance.toString()],
    );
    const userIds = users.rows.map((row) => row.id);
    const keys = userIds.map(() => newApiKey());
    const hashes = keys.map(sha256Hex);
    const inserted = await client.query<{ id: number; user_id: number; key_hash: string }>(
      `INSERT INTO api_keys (user_id, name, key_hash, key_prefix)
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[])
       RETURNING id, user_id, key_hash`,
      [userIds, userIds.map(() => 'bench'), hashes, keys.map((key) => key.slice(0, KEY_PREFIX_LENGTH))],
    );
    await client.query('COMMIT');
    const keyByHash = new Map(hashes.map((hash, i) => [hash, keys[i] as string]));
    return inserted.rows.map((row) => ({ userId: row.user_id, keyId: row.id, key: keyByHash.get(row.key_hash) as string }));
  });
}
