-- DropIndex
DROP INDEX "logs_type_id_idx";

-- DropIndex
DROP INDEX "tasks_status_submit_time_idx";

-- CreateIndex
CREATE INDEX "tasks_open_idx" ON "tasks"("id") WHERE (status = ANY (ARRAY['NOT_START'::task_status, 'QUEUED'::task_status, 'IN_PROGRESS'::task_status]));
