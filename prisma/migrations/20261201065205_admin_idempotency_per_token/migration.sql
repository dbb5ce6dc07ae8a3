-- AlterTable
ALTER TABLE "admin_idempotency_keys" DROP CONSTRAINT "admin_idempotency_keys_pkey",
ADD COLUMN     "token_id" INTEGER NOT NULL DEFAULT 0,
ADD CONSTRAINT "admin_idempotency_keys_pkey" PRIMARY KEY ("token_id", "key");
