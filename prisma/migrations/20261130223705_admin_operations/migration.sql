-- CreateEnum
CREATE TYPE "admin_scope" AS ENUM ('read', 'write');

-- AlterEnum
ALTER TYPE "api_key_status" ADD VALUE 'revoked';

-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "allowed_ips" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "rpm_limit" INTEGER;

-- AlterTable
ALTER TABLE "channels" ADD COLUMN     "retest_at" TIMESTAMPTZ(3),
ADD COLUMN     "retest_delay_s" INTEGER;

-- AlterTable
ALTER TABLE "model_prices" ADD COLUMN     "enabled" BOOLEAN NOT NULL DEFAULT true;

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "allowed_ips" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "rpm_limit" INTEGER;

-- CreateTable
CREATE TABLE "admin_tokens" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(128) NOT NULL,
    "scope" "admin_scope" NOT NULL,
    "token_hash" CHAR(64) NOT NULL,
    "token_prefix" VARCHAR(16) NOT NULL,
    "last_used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "admin_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_logs" (
    "id" BIGSERIAL NOT NULL,
    "actor_token_id" INTEGER,
    "actor_name" VARCHAR(128) NOT NULL,
    "action" VARCHAR(64) NOT NULL,
    "target_type" VARCHAR(32) NOT NULL,
    "target_id" VARCHAR(128) NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "request_id" VARCHAR(128) NOT NULL,
    "ip" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_logs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "admin_idempotency_keys" (
    "key" VARCHAR(255) NOT NULL,
    "request_hash" CHAR(64) NOT NULL,
    "status_code" INTEGER NOT NULL DEFAULT 0,
    "response" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "admin_idempotency_keys_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "usage_daily" (
    "day" DATE NOT NULL,
    "user_id" INTEGER NOT NULL,
    "key_id" INTEGER NOT NULL,
    "model" VARCHAR(128) NOT NULL,
    "tasks" BIGINT NOT NULL DEFAULT 0,
    "succeeded" BIGINT NOT NULL DEFAULT 0,
    "failed" BIGINT NOT NULL DEFAULT 0,
    "seconds" BIGINT NOT NULL DEFAULT 0,
    "quota_charged" BIGINT NOT NULL DEFAULT 0,
    "quota_refunded" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "usage_daily_pkey" PRIMARY KEY ("day","user_id","key_id","model")
);

-- CreateIndex
CREATE UNIQUE INDEX "admin_tokens_token_hash_key" ON "admin_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "audit_logs_action_id_idx" ON "audit_logs"("action", "id");

-- CreateIndex
CREATE INDEX "audit_logs_target_type_target_id_id_idx" ON "audit_logs"("target_type", "target_id", "id");

-- CreateIndex
CREATE INDEX "audit_logs_actor_name_id_idx" ON "audit_logs"("actor_name", "id");

-- CreateIndex
CREATE INDEX "admin_idempotency_keys_created_at_idx" ON "admin_idempotency_keys"("created_at");

-- CreateIndex
CREATE INDEX "usage_daily_user_id_day_idx" ON "usage_daily"("user_id", "day");

-- CreateIndex
CREATE INDEX "logs_created_at_idx" ON "logs"("created_at");

-- Usage rollup. Prisma's schema language has no triggers, and its diff does not look at them, so
-- they live only here. Each trigger runs inside the statement that writes the rows it counts, so
-- the rollup commits (or rolls back) with them: charges and refunds from the logs, a task's end
-- from its final status change. Days are UTC days.
CREATE FUNCTION usage_from_logs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO usage_daily AS u (day, user_id, key_id, model, tasks, quota_charged, quota_refunded)
  SELECT (n.created_at AT TIME ZONE 'UTC')::date, n.user_id, coalesce(n.key_id, 0), n.model,
         count(*) FILTER (WHERE n.type = 2),
         coalesce(sum(n.quota) FILTER (WHERE n.type = 2), 0),
         coalesce(sum(n.quota) FILTER (WHERE n.type = 6), 0)
  FROM new_logs n
  WHERE n.type IN (2, 6)
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (day, user_id, key_id, model) DO UPDATE
    SET tasks = u.tasks + excluded.tasks,
        quota_charged = u.quota_charged + excluded.quota_charged,
        quota_refunded = u.quota_refunded + excluded.quota_refunded;
  RETURN NULL;
END
$$;

CREATE TRIGGER logs_usage AFTER INSERT ON logs REFERENCING NEW TABLE AS new_logs
  FOR EACH STATEMENT EXECUTE FUNCTION usage_from_logs();

CREATE FUNCTION usage_from_task_end() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO usage_daily AS u (day, user_id, key_id, model, succeeded, failed, seconds)
  VALUES ((coalesce(NEW.finish_time, now()) AT TIME ZONE 'UTC')::date, NEW.user_id, coalesce(NEW.key_id, 0), NEW.model,
          CASE WHEN NEW.status = 'SUCCESS' THEN 1 ELSE 0 END,
          CASE WHEN NEW.status = 'FAILURE' THEN 1 ELSE 0 END,
          CASE WHEN NEW.status = 'SUCCESS' THEN coalesce(round((NEW.price_snapshot->>'seconds')::numeric), 0) ELSE 0 END)
  ON CONFLICT (day, user_id, key_id, model) DO UPDATE
    SET succeeded = u.succeeded + excluded.succeeded,
        failed = u.failed + excluded.failed,
        seconds = u.seconds + excluded.seconds;
  RETURN NULL;
END
$$;

-- Only a task's one move from an open status to a final one fires it: progress updates do not.
CREATE TRIGGER tasks_usage AFTER UPDATE OF status ON tasks
  FOR EACH ROW
  WHEN (OLD.status IN ('NOT_START', 'QUEUED', 'IN_PROGRESS') AND NEW.status IN ('SUCCESS', 'FAILURE'))
  EXECUTE FUNCTION usage_from_task_end();

-- The history so far.
INSERT INTO usage_daily (day, user_id, key_id, model, tasks, quota_charged, quota_refunded)
SELECT (created_at AT TIME ZONE 'UTC')::date, user_id, coalesce(key_id, 0), model,
       count(*) FILTER (WHERE type = 2),
       coalesce(sum(quota) FILTER (WHERE type = 2), 0),
       coalesce(sum(quota) FILTER (WHERE type = 6), 0)
FROM logs WHERE type IN (2, 6)
GROUP BY 1, 2, 3, 4;

INSERT INTO usage_daily AS u (day, user_id, key_id, model, succeeded, failed, seconds)
SELECT (coalesce(finish_time, updated_at) AT TIME ZONE 'UTC')::date, user_id, coalesce(key_id, 0), model,
       count(*) FILTER (WHERE status = 'SUCCESS'),
       count(*) FILTER (WHERE status = 'FAILURE'),
       coalesce(sum(round((price_snapshot->>'seconds')::numeric)) FILTER (WHERE status = 'SUCCESS'), 0)
FROM tasks WHERE status IN ('SUCCESS', 'FAILURE')
GROUP BY 1, 2, 3, 4
ON CONFLICT (day, user_id, key_id, model) DO UPDATE
  SET succeeded = u.succeeded + excluded.succeeded, failed = u.failed + excluded.failed, seconds = u.seconds + excluded.seconds;

-- A channel's max_inflight, exact however many workers send tasks at once: the claim that marks a
-- task as being sent to a channel (tasks.submit_started_at set, src/worker/task-store.ts) is
-- skipped (the UPDATE changes no row, and the worker tries again later, elsewhere) while the
-- channel has as many tasks under way as it may. The channel row is locked for the check, so
-- concurrent claims on one capped channel take turns, and each counts with a fresh snapshot
-- that sees the claims committed before it. Channels without a limit are not locked.
CREATE FUNCTION claim_within_channel_limit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  cap integer;
  busy integer;
BEGIN
  SELECT max_inflight INTO cap FROM channels WHERE id = NEW.channel_id;
  IF cap IS NULL THEN
    RETURN NEW;
  END IF;
  SELECT max_inflight INTO cap FROM channels WHERE id = NEW.channel_id FOR NO KEY UPDATE;
  SELECT count(*) INTO busy FROM tasks
   WHERE channel_id = NEW.channel_id AND id <> NEW.id
     AND (status IN ('QUEUED', 'IN_PROGRESS') OR (status = 'NOT_START' AND submit_started_at IS NOT NULL));
  IF cap IS NOT NULL AND busy >= cap THEN
    RETURN NULL;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER tasks_channel_limit BEFORE UPDATE OF submit_started_at ON tasks
  FOR EACH ROW
  WHEN (OLD.submit_started_at IS NULL AND NEW.submit_started_at IS NOT NULL AND NEW.channel_id IS NOT NULL)
  EXECUTE FUNCTION claim_within_channel_limit();
