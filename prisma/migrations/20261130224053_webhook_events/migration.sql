-- Webhook events: a task reports the events it asked for (task.queued, task.in_progress,
-- task.succeeded, task.failed), each with a delivery state of its own, instead of one state for
-- its end on the task row.

-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "webhook_events" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "webhook_events" TEXT[] DEFAULT ARRAY['task.succeeded', 'task.failed']::TEXT[];

-- CreateTable
CREATE TABLE "task_webhooks" (
    "id" BIGSERIAL NOT NULL,
    "task_id" VARCHAR(40) NOT NULL,
    "event" VARCHAR(32) NOT NULL,
    "state" "webhook_state" NOT NULL DEFAULT 'pending',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "task_webhooks_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "task_webhooks_pending_idx" ON "task_webhooks"("id") WHERE (state = 'pending'::webhook_state);

-- CreateIndex
CREATE UNIQUE INDEX "task_webhooks_task_id_event_key" ON "task_webhooks"("task_id", "event");

-- AddForeignKey
ALTER TABLE "task_webhooks" ADD CONSTRAINT "task_webhooks_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("task_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The webhooks of tasks that ended before: still to send, sent or given up, each keeps its state.
INSERT INTO "task_webhooks" ("task_id", "event", "state", "created_at")
SELECT "task_id", CASE "status" WHEN 'SUCCESS' THEN 'task.succeeded' ELSE 'task.failed' END, "webhook_state", COALESCE("finish_time", "updated_at")
FROM "tasks"
WHERE "webhook_state" <> 'none' AND "status" IN ('SUCCESS', 'FAILURE');

-- DropIndex
DROP INDEX "tasks_webhook_pending_idx";

-- AlterTable
ALTER TABLE "tasks" DROP COLUMN "webhook_state";

-- An event the task asked for is written down in the statement that changes its status, so no
-- crash between the change and the delivery can lose it. The names mirror webhookEventOf() in
-- src/webhooks/payload.ts.
CREATE FUNCTION tasks_webhook_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  happened text := CASE NEW.status
    WHEN 'QUEUED' THEN 'task.queued'
    WHEN 'IN_PROGRESS' THEN 'task.in_progress'
    WHEN 'SUCCESS' THEN 'task.succeeded'
    WHEN 'FAILURE' THEN 'task.failed'
  END;
BEGIN
  IF happened = ANY (NEW.webhook_events) THEN
    INSERT INTO task_webhooks (task_id, event) VALUES (NEW.task_id, happened) ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER tasks_webhook_event AFTER UPDATE OF status ON tasks
  FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.callback_url IS NOT NULL)
  EXECUTE FUNCTION tasks_webhook_event();
