-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "submit_started_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "upstream_orphans" (
    "id" BIGSERIAL NOT NULL,
    "channel_id" INTEGER NOT NULL,
    "upstream_task_id" VARCHAR(128) NOT NULL,
    "outcome" VARCHAR(16) NOT NULL,
    "task_id" VARCHAR(40) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "upstream_orphans_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "upstream_orphans_upstream_task_id_key" ON "upstream_orphans"("upstream_task_id");

-- CreateIndex
CREATE INDEX "tasks_upstream_task_id_idx" ON "tasks"("upstream_task_id");

-- CreateIndex
CREATE INDEX "tasks_submit_started_idx" ON "tasks"("id") WHERE (submit_started_at IS NOT NULL);
