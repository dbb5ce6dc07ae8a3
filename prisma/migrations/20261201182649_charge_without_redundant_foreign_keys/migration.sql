-- DropForeignKey
ALTER TABLE "task_dispatch" DROP CONSTRAINT "task_dispatch_id_fkey";

-- DropForeignKey
ALTER TABLE "tasks" DROP CONSTRAINT "tasks_key_id_fkey";

-- DropForeignKey
ALTER TABLE "tasks" DROP CONSTRAINT "tasks_user_id_fkey";

-- Tasks, logs and usage refer to users and keys by id without foreign keys (the charge locks the
-- rows it refers to), so a deleted user or key would leave books that point nowhere. They are
-- disabled or revoked instead; these triggers make a DELETE, from any client, say so.
CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are never deleted: tasks and logs refer to them; %', TG_TABLE_NAME, TG_ARGV[0]
    USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER users_never_deleted BEFORE DELETE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_delete('disable the user instead (PATCH /admin/users/{id} with status "disabled")');

CREATE TRIGGER api_keys_never_deleted BEFORE DELETE ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_delete('revoke the key instead (DELETE /admin/keys/{id})');
