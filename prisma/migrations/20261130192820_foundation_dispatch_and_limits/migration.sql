-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "inflight_tasks" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "max_inflight" INTEGER;

-- AlterTable
ALTER TABLE "channels" ADD COLUMN     "inflight_tasks" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "max_inflight" INTEGER;

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "max_inflight" INTEGER;

-- CreateTable
CREATE TABLE "task_dispatch" (
    "id" INTEGER NOT NULL,
    "task_id" VARCHAR(40) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "task_dispatch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "periodic_jobs" (
    "name" VARCHAR(64) NOT NULL,
    "next_run_at" TIMESTAMPTZ(3) NOT NULL,
    "last_run_at" TIMESTAMPTZ(3),

    CONSTRAINT "periodic_jobs_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "tasks_not_started_idx" ON "tasks"("model", "id") WHERE (status = 'NOT_START'::task_status);

-- AddForeignKey
ALTER TABLE "task_dispatch" ADD CONSTRAINT "task_dispatch_id_fkey" FOREIGN KEY ("id") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Counters the charge and the settlement keep, starting from the tasks open now; never below zero.
UPDATE "api_keys" k SET "inflight_tasks" = (
  SELECT count(*) FROM "tasks" t WHERE t."key_id" = k."id" AND t."status" IN ('NOT_START', 'QUEUED', 'IN_PROGRESS'));
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_inflight_tasks_check" CHECK ("inflight_tasks" >= 0);
ALTER TABLE "channels" ADD CONSTRAINT "channels_inflight_tasks_check" CHECK ("inflight_tasks" >= 0);

-- The status stream: every change a client can see in a task (status, progress, its video, its
-- deletion) is announced, in the transaction that makes it, to every process that listens
-- (src/db/listener.ts). Nothing is lost between a commit and a publish because the notification
-- is part of the commit. PostgreSQL makes notifying commits wait for each other, so a change only
-- the worker cares about (the upstream's latest answer, a webhook's state) announces nothing; the
-- charge of a submit never notifies (its wake-up for the dispatcher is sent after it commits).
CREATE FUNCTION "vgw_notify_task_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('vgw_task_change', json_build_object('t', NEW.task_id, 'u', NEW.user_id, 'm', NEW.model, 's', NEW.status, 'p', NEW.progress)::text);
  RETURN NULL;
END
$$;
CREATE TRIGGER "tasks_notify_change" AFTER UPDATE ON "tasks"
  FOR EACH ROW WHEN (
    OLD.status IS DISTINCT FROM NEW.status OR OLD.progress IS DISTINCT FROM NEW.progress
    OR OLD.result_copy IS DISTINCT FROM NEW.result_copy OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
  ) EXECUTE FUNCTION "vgw_notify_task_change"();
