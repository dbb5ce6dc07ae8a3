import { defineConfig } from 'prisma/config';

// Only `prisma generate` uses this file; migrations are applied by `npm run db:migrate`
// (src/db/migrate.ts), which needs no native schema engine.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
