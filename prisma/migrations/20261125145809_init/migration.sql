-- CreateEnum
CREATE TYPE "user_status" AS ENUM ('enabled', 'disabled');

-- CreateEnum
CREATE TYPE "api_key_status" AS ENUM ('enabled', 'disabled');

-- CreateEnum
CREATE TYPE "channel_status" AS ENUM ('enabled', 'disabled', 'auto_disabled');

-- CreateEnum
CREATE TYPE "task_status" AS ENUM ('NOT_START', 'QUEUED', 'IN_PROGRESS', 'SUCCESS', 'FAILURE');

-- CreateTable
CREATE TABLE "groups" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(64) NOT NULL,
    "ratio" DECIMAL(12,6) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(128) NOT NULL,
    "group" VARCHAR(64) NOT NULL DEFAULT 'default',
    "quota" BIGINT NOT NULL DEFAULT 0,
    "used_quota" BIGINT NOT NULL DEFAULT 0,
    "status" "user_status" NOT NULL DEFAULT 'enabled',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" SERIAL NOT NULL,
    "user_id" INTEGER NOT NULL,
    "name" VARCHAR(128) NOT NULL DEFAULT '',
    "key_hash" CHAR(64) NOT NULL,
    "key_prefix" VARCHAR(16) NOT NULL,
    "status" "api_key_status" NOT NULL DEFAULT 'enabled',
    "expires_at" TIMESTAMPTZ(3),
    "models" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "quota_limit" BIGINT,
    "quota_used" BIGINT NOT NULL DEFAULT 0,
    "last_used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "channels" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(128) NOT NULL,
    "type" INTEGER NOT NULL DEFAULT 17,
    "base_url" TEXT NOT NULL,
    "api_key" TEXT NOT NULL,
    "models" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "model_mapping" JSONB NOT NULL DEFAULT '{}',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "weight" INTEGER NOT NULL DEFAULT 1,
    "status" "channel_status" NOT NULL DEFAULT 'enabled',
    "status_reason" TEXT NOT NULL DEFAULT '',
    "submit_qps" INTEGER,
    "query_qps" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "channels_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_prices" (
    "model" VARCHAR(128) NOT NULL,
    "price_per_second" DECIMAL(12,6) NOT NULL,
    "resolution_ratios" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_prices_pkey" PRIMARY KEY ("model")
);

-- CreateTable
CREATE TABLE "tasks" (
    "id" SERIAL NOT NULL,
    "task_id" VARCHAR(40) NOT NULL,
    "platform" VARCHAR(30) NOT NULL DEFAULT '17',
    "user_id" INTEGER NOT NULL,
    "key_id" INTEGER,
    "group" VARCHAR(64) NOT NULL,
    "channel_id" INTEGER,
    "model" VARCHAR(128) NOT NULL,
    "upstream_model" VARCHAR(128) NOT NULL,
    "action" VARCHAR(40) NOT NULL,
    "status" "task_status" NOT NULL DEFAULT 'NOT_START',
    "progress" INTEGER NOT NULL DEFAULT 0,
    "fail_reason" TEXT NOT NULL DEFAULT '',
    "result_url" TEXT NOT NULL DEFAULT '',
    "quota" BIGINT NOT NULL,
    "price_snapshot" JSONB NOT NULL,
    "request" JSONB NOT NULL,
    "data" JSONB NOT NULL DEFAULT '{}',
    "upstream_task_id" VARCHAR(128),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "unknown_since" TIMESTAMPTZ(3),
    "submit_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "start_time" TIMESTAMPTZ(3),
    "finish_time" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tasks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "logs" (
    "id" BIGSERIAL NOT NULL,
    "type" SMALLINT NOT NULL,
    "user_id" INTEGER NOT NULL,
    "key_id" INTEGER,
    "task_id" VARCHAR(40),
    "model" VARCHAR(128) NOT NULL DEFAULT '',
    "quota" BIGINT NOT NULL DEFAULT 0,
    "content" TEXT NOT NULL DEFAULT '',
    "dedupe_key" VARCHAR(128),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "logs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "groups_name_key" ON "groups"("name");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");

-- CreateIndex
CREATE INDEX "api_keys_user_id_idx" ON "api_keys"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "tasks_task_id_key" ON "tasks"("task_id");

-- CreateIndex
CREATE INDEX "tasks_user_id_id_idx" ON "tasks"("user_id", "id");

-- CreateIndex
CREATE INDEX "tasks_status_submit_time_idx" ON "tasks"("status", "submit_time");

-- CreateIndex
CREATE UNIQUE INDEX "logs_dedupe_key_key" ON "logs"("dedupe_key");

-- CreateIndex
CREATE INDEX "logs_user_id_id_idx" ON "logs"("user_id", "id");

-- CreateIndex
CREATE INDEX "logs_task_id_idx" ON "logs"("task_id");

-- CreateIndex
CREATE INDEX "logs_type_id_idx" ON "logs"("type", "id");

-- AddForeignKey
ALTER TABLE "users" ADD CONSTRAINT "users_group_fkey" FOREIGN KEY ("group") REFERENCES "groups"("name") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "channels"("id") ON DELETE SET NULL ON UPDATE CASCADE;
