-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "traceparent" VARCHAR(128);
