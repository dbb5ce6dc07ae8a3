-- Keys created before webhooks existed get a signing secret like every new key has
-- (whsec_ + base64 of 32 bytes). gen_random_uuid() draws from the strong random source of
-- PostgreSQL and needs no extension, and two of them give 244 random bits.
UPDATE "api_keys"
SET "webhook_secret" = 'whsec_' || encode(decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'), 'base64')
WHERE "webhook_secret" IS NULL;
