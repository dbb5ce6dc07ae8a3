-- CreateEnum
CREATE TYPE "result_copy" AS ENUM ('none', 'pending', 'stored', 'failed', 'expired');

-- CreateEnum
CREATE TYPE "webhook_state" AS ENUM ('none', 'pending', 'delivered', 'failed');

-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "callback_url" TEXT,
ADD COLUMN     "webhook_secret" VARCHAR(64);

-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "callback_url" TEXT,
ADD COLUMN     "deleted_at" TIMESTAMPTZ(3),
ADD COLUMN     "remixed_from" VARCHAR(40),
ADD COLUMN     "result_bytes" BIGINT,
ADD COLUMN     "result_copy" "result_copy" NOT NULL DEFAULT 'none',
ADD COLUMN     "result_expires_at" TIMESTAMPTZ(3),
ADD COLUMN     "result_key" TEXT,
ADD COLUMN     "result_sha256" CHAR(64),
ADD COLUMN     "thumbnail_key" TEXT,
ADD COLUMN     "webhook_state" "webhook_state" NOT NULL DEFAULT 'none';

-- CreateTable
CREATE TABLE "idempotency_keys" (
    "id" SERIAL NOT NULL,
    "user_id" INTEGER NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "request_hash" CHAR(64) NOT NULL,
    "task_id" VARCHAR(40) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" BIGSERIAL NOT NULL,
    "task_id" VARCHAR(40) NOT NULL,
    "url" TEXT NOT NULL,
    "event" VARCHAR(32) NOT NULL,
    "attempt" INTEGER NOT NULL,
    "status_code" INTEGER,
    "error" TEXT NOT NULL DEFAULT '',
    "duration_ms" INTEGER NOT NULL,
    "delivered" BOOLEAN NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "settings" (
    "key" VARCHAR(64) NOT NULL,
    "value" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "settings_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "idempotency_keys_user_id_key_key" ON "idempotency_keys"("user_id", "key");

-- CreateIndex
CREATE INDEX "webhook_deliveries_task_id_id_idx" ON "webhook_deliveries"("task_id", "id");

-- CreateIndex
CREATE INDEX "tasks_copy_pending_idx" ON "tasks"("id") WHERE (result_copy = 'pending'::result_copy);

-- CreateIndex
CREATE INDEX "tasks_webhook_pending_idx" ON "tasks"("id") WHERE (webhook_state = 'pending'::webhook_state);

-- CreateIndex
CREATE INDEX "tasks_copy_expiry_idx" ON "tasks"("result_expires_at") WHERE (result_copy = 'stored'::result_copy);
