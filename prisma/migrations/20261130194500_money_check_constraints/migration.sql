-- Money never goes below zero, whatever code writes it. The schema language of Prisma has no
-- CHECK constraints, so they live only here, and the diff of Prisma does not look at them: the
-- drift test (test/database.test.ts) stays clean. (No semicolons in these comments: the schema
-- engine splits the script on them.)
--
-- The spend of a key may exceed its limit (an operator lowers the limit to stop the key, and the
-- charge checks the limit itself), so there is no constraint between those two columns.
ALTER TABLE "users"
  ADD CONSTRAINT "users_quota_nonnegative" CHECK ("quota" >= 0),
  ADD CONSTRAINT "users_used_quota_nonnegative" CHECK ("used_quota" >= 0);

ALTER TABLE "api_keys"
  ADD CONSTRAINT "api_keys_quota_limit_nonnegative" CHECK ("quota_limit" >= 0),
  ADD CONSTRAINT "api_keys_quota_used_nonnegative" CHECK ("quota_used" >= 0);

-- What a task costs and what a log entry moves (its type says in which direction).
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_quota_nonnegative" CHECK ("quota" >= 0);
ALTER TABLE "logs" ADD CONSTRAINT "logs_quota_nonnegative" CHECK ("quota" >= 0);
