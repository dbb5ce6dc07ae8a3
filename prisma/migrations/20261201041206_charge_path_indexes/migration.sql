-- DropIndex
DROP INDEX "logs_dedupe_key_key";

-- DropIndex
DROP INDEX "tasks_upstream_task_id_idx";

-- CreateIndex
CREATE UNIQUE INDEX "logs_dedupe_key_key" ON "logs"("dedupe_key") WHERE (dedupe_key IS NOT NULL);

-- CreateIndex
CREATE INDEX "tasks_upstream_task_id_idx" ON "tasks"("upstream_task_id") WHERE (upstream_task_id IS NOT NULL);
