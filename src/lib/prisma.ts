import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import type { InputJsonObject } from '../generated/prisma/internal/prismaNamespace.ts';

export type Db = PrismaClient;

export function createPrisma(databaseUrl: string, poolSize: number): Db {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: databaseUrl, max: poolSize }),
    // Under a burst, transactions queue for a pooled connection; waiting beats failing.
    transactionOptions: { maxWait: 10_000, timeout: 10_000 },
  });
}

/** Types a plain record (whose interface lacks an index signature) as a JSON column value. */
export const asJson = (value: object): InputJsonObject => value as InputJsonObject;
