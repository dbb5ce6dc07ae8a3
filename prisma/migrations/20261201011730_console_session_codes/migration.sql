-- AlterTable
ALTER TABLE "console_sessions" ADD COLUMN     "admin_token_id" INTEGER,
ADD COLUMN     "opened_by" VARCHAR(128);

-- CreateTable
CREATE TABLE "console_session_codes" (
    "code_hash" CHAR(64) NOT NULL,
    "key_id" INTEGER NOT NULL,
    "opened_by" VARCHAR(128) NOT NULL,
    "admin_token_id" INTEGER,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "console_session_codes_pkey" PRIMARY KEY ("code_hash")
);

-- CreateIndex
CREATE INDEX "console_session_codes_key_id_idx" ON "console_session_codes"("key_id");

-- CreateIndex
CREATE INDEX "console_session_codes_expires_at_idx" ON "console_session_codes"("expires_at");

-- CreateIndex
CREATE INDEX "console_sessions_admin_token_id_idx" ON "console_sessions"("admin_token_id");

-- AddForeignKey
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_admin_token_id_fkey" FOREIGN KEY ("admin_token_id") REFERENCES "admin_tokens"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "console_session_codes" ADD CONSTRAINT "console_session_codes_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "console_session_codes" ADD CONSTRAINT "console_session_codes_admin_token_id_fkey" FOREIGN KEY ("admin_token_id") REFERENCES "admin_tokens"("id") ON DELETE CASCADE ON UPDATE CASCADE;
