// The one way an admin change is made: in one transaction, the change itself, its audit row
// (who, what, the record before and after with secrets redacted, request id, address) and, when
// the request carries an Idempotency-Key, the key's claim and the answer to give a repeat. Each
// admin token's keys are its own, as each user's are on submits, and a key behaves as there: the
// same key and request within 24 hours answer the first response again (Idempotent-Replayed:
// true) without doing anything; the same key with another request is 422; a concurrent repeat
// waits for the first one's outcome; a change that fails leaves the key unused.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db, Tx } from '../../db/database.ts';
import type { AuditRecord } from '../../db/json-columns.ts';
import { canonicalJson } from '../../lib/canonical-json.ts';
import { AppError, badRequest } from '../../lib/errors.ts';
import { sha256Hex } from '../../lib/ids.ts';
import { IDEMPOTENCY_KEY } from '../tasks/tasks.service.ts';
import { claimAdminKey, recordAdminKeyResponse } from './admin-idempotency.repository.ts';
import type { AdminActor } from './admin-auth.ts';
import { insertAudit } from './audit.repository.ts';

/** Who asks, and the request as the audit and the Idempotency-Key see it. */
export interface MutationRequest {
  actor: AdminActor;
  requestId: string;
  ip: string;
  idempotencyKey: string | undefined;
  method: string;
  path: string;
  body: unknown;
}

export interface MutationOutcome<T> {
  targetId: string | number;
  /** The record before and after (admin views); null when it did not exist. */
  before: object | null;
  after: object | null;
  /** The answer's body; undefined for 204. */
  response: T;
}

export interface Mutation<T> {
  /** e.g. user.update, key.revoke, channel.enable */
  action: string;
  targetType: string;
  /** The answer's status: 200 unless said. */
  status?: number;
  run(tx: Tx): Promise<MutationOutcome<T>>;
}

export interface MutationResult<T> {
  status: number;
  body: T;
  /** An earlier request with the same Idempotency-Key made this change; nothing was done again. */
  replayed: boolean;
}

// `code`: the one-time console code an operator gets to act for a key.
const SECRET_FIELDS = new Set(['key', 'token', 'code', 'api_key', 'webhook_secret', 'token_hash', 'key_hash']);
/** What is shown once and never kept: not even for a replay. */
const SHOWN_ONCE = new Set(['key', 'token', 'code']);

function redactFields(record: object | null, fields: Set<string>): AuditRecord | null {
  if (record === null) return null;
  return Object.fromEntries(Object.entries(record).map(([field, value]) => [field, fields.has(field) && value !== null ? '[redacted]' : value]));
}

/** The record with every secret replaced, for the audit log. */
export const redact = (record: object | null): AuditRecord | null => redactFields(record, SECRET_FIELDS);

export function mutationRequest(request: FastifyRequest): MutationRequest {
  const key = request.headers['idempotency-key'];
  return {
    actor: request.admin,
    requestId: request.id,
    ip: request.ip,
    idempotencyKey: typeof key === 'string' ? key : undefined,
    method: request.method,
    path: request.url.split('?')[0] ?? request.url,
    body: request.body ?? null,
  };
}

export type Mutate = <T>(request: MutationRequest, mutation: Mutation<T>) => Promise<MutationResult<T>>;

export function createMutator(db: Db): Mutate {
  return async function mutate<T>(request: MutationRequest, mutation: Mutation<T>): Promise<MutationResult<T>> {
    const { idempotencyKey } = request;
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw badRequest('Idempotency-Key must be 1–255 printable ASCII characters', 'Idempotency-Key');
    }
    const requestHash = sha256Hex(canonicalJson({ method: request.method, path: request.path, body: request.body }));
    const status = mutation.status ?? 200;
    return db.transaction().execute(async (tx) => {
      if (idempotencyKey !== undefined) {
        const use = await claimAdminKey(tx, request.actor, idempotencyKey, requestHash);
        if (!use.claimed) {
          if (use.requestHash !== requestHash) {
            throw new AppError(
              'idempotency_key_reused',
              `Idempotency-Key ${idempotencyKey} was already used for a different request in the last 24 hours; send a new key for a new request`,
              'Idempotency-Key',
            );
          }
          return { status: use.statusCode, body: (use.response ?? undefined) as T, replayed: true };
        }
      }
      const outcome = await mutation.run(tx);
      await insertAudit(tx, {
        actorTokenId: request.actor.tokenId,
        actorName: request.actor.name,
        action: mutation.action,
        targetType: mutation.targetType,
        targetId: String(outcome.targetId),
        before: redact(outcome.before),
        after: redact(outcome.after),
        requestId: request.requestId,
        ip: request.ip,
      });
      // A replay of a create that showed a key or token answers without it: it is never stored.
      if (idempotencyKey !== undefined) await recordAdminKeyResponse(tx, request.actor, idempotencyKey, status, redactFields((outcome.response ?? null) as object | null, SHOWN_ONCE));
      return { status, body: outcome.response, replayed: false };
    });
  };
}

/** Sends a mutation's answer, saying when it is a replay. */
export function sendMutation<T>(reply: FastifyReply, result: MutationResult<T>): FastifyReply {
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  reply.status(result.status);
  return result.body === undefined ? reply.send() : reply.send(result.body);
}
