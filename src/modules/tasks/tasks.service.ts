import type { FastifyBaseLogger } from 'fastify';
import { canonicalJson } from '../../lib/canonical-json.ts';
import type { Sql } from '../../lib/database.ts';
import { AppError, badRequest } from '../../lib/errors.ts';
import { newTaskId, sha256Hex } from '../../lib/ids.ts';
import type { JobQueue } from '../../jobs/job-queue.ts';
import type { KeyIdentity } from '../auth/key-identity.ts';
import type { PriceCatalog } from '../pricing/catalog.ts';
import { describeCharge, priceTask } from '../pricing/quota.ts';
import { ACTION_BY_CAPABILITY, capabilityOf } from './models.ts';
import type { Storage } from '../../storage/storage.ts';
import type { ImageFile } from './images.ts';
import { normalizeRequest } from './normalize-request.ts';
import type { SubmitBody } from './submit.schema.ts';
import { byContent, type PendingUpload, pendingUpload, takeInlineImages, UPLOAD_SCHEME } from './uploads.ts';
import {
  canPay,
  claimIdempotencyKey,
  findOwnedTask,
  findOwnedTaskRecord,
  insertChargedTask,
  insufficientQuota,
  type ListPage,
  listOwnedTasks,
  type NewTask,
  ownsTask,
  softDeleteTask,
  type TaskRecordRow,
  type TaskRow,
} from './tasks.repository.ts';

/** EasyRouter shows a task's `platform` as its channel type; 17 is Alibaba DashScope. */
const DASHSCOPE_PLATFORM = '17';

export interface TaskServiceDeps {
  sql: Sql;
  catalog: PriceCatalog;
  queue: JobQueue;
  /** Refuses a callback URL the gateway must not call (not http(s), a private address...). */
  checkCallbackUrl: (url: string) => Promise<void>;
  /** A link the upstream can fetch a finished task's video from (for remixes). */
  sourceVideoUrl: (task: TaskRow) => Promise<string>;
  /** Where images sent with a request are kept until the worker has submitted the task. */
  storage: Storage;
  /** UPLOAD_LIMIT_BYTES: the largest image a request may carry, uploaded or as a data: URI. */
  maxImageBytes: number;
}

export interface SubmitOptions {
  log: FastifyBaseLogger;
  /** The input_reference image file of a multipart create. */
  uploadedFile?: ImageFile;
  /** The Idempotency-Key header, when the client sent one. */
  idempotencyKey?: string;
  /** The model when the body names none (OpenAI clients may leave it out). */
  defaultModel?: string;
  /** The video this task remixes (POST /v1/videos/{id}/remix). */
  remixedFrom?: string;
}

export interface Submitted {
  task: TaskRow;
  /** An earlier request with the same Idempotency-Key created this task. */
  replayed: boolean;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const taskNotFound = (taskId: string): never => {
  throw new AppError('not_found', `task ${taskId} not found`, 'task_id');
};

export type TaskService = ReturnType<typeof createTaskService>;

export function createTaskService({ sql, catalog, queue, checkCallbackUrl, sourceVideoUrl, storage, maxImageBytes }: TaskServiceDeps) {
  /** Everything a submit checks and prices before it touches money or storage. */
  async function prepare(auth: KeyIdentity, body: SubmitBody, options: SubmitOptions): Promise<{ task: NewTask; uploads: PendingUpload[] }> {
    const model = body.model?.trim() || options.defaultModel;
    if (!model) throw badRequest('model is required', 'model');
    const capability = capabilityOf(model);
    const price = capability && (await catalog.price(model));
    if (!capability || !price) throw badRequest(`unknown model: ${model}`, 'model');
    if (auth.models.length > 0 && !auth.models.includes(model)) {
      throw new AppError('model_not_allowed', `this API key may not use ${model}; it is limited to ${auth.models.join(', ')}`, 'model');
    }
    const taskId = newTaskId();
    const uploads = options.uploadedFile ? [pendingUpload(options.uploadedFile, taskId, 0)] : [];
    const uploadedReference = uploads[0] && `${UPLOAD_SCHEME}${uploads[0].key}`;
    const request = takeInlineImages(normalizeRequest(body, model, capability, { uploadedReference, maxImageBytes }), taskId, uploads);
    const resolutionRatio = price.resolutionRatios[request.resolution];
    if (!resolutionRatio) throw badRequest(`${model} is not available at ${request.resolution}`, 'resolution');
    const groupRatio = await catalog.groupRatio(auth.group);
    if (!groupRatio) throw new AppError('internal_error', `group ${auth.group} has no ratio configured`);
    const callbackUrl = body.callback_url ?? auth.callbackUrl;
    if (body.callback_url !== undefined) await checkCallbackUrl(body.callback_url);

    const action = ACTION_BY_CAPABILITY[capability];
    const charge = priceTask({
      model,
      pricePerSecond: price.pricePerSecond,
      group: auth.group,
      groupRatio,
      resolution: request.resolution,
      resolutionRatio,
      seconds: request.billed_seconds,
    });
    const task: NewTask = {
      taskId,
      userId: auth.userId,
      keyId: auth.keyId,
      group: auth.group,
      model,
      action,
      platform: DASHSCOPE_PLATFORM,
      request,
      price: charge,
      logContent: describeCharge(action, charge),
      callbackUrl,
      remixedFrom: options.remixedFrom ?? null,
    };
    return { task, uploads };
  }

  /** Writes a request's images, once it is sure the customer can pay for the task. */
  async function storeUploads(task: NewTask, uploads: PendingUpload[]): Promise<void> {
    if (uploads.length === 0) return;
    if (!(await canPay(sql, task))) throw insufficientQuota();
    await Promise.all(uploads.map((upload) => storage.put(upload.key, upload.bytes, upload.contentType)));
  }

  /** Images no task refers to: the charge was refused, or an earlier request's task was returned. */
  async function dropUploads(uploads: PendingUpload[], log: FastifyBaseLogger): Promise<void> {
    await Promise.all(uploads.map((upload) => storage.delete(upload.key))).catch((err: unknown) => {
      // The hourly purge removes them anyway.
      log.warn({ err }, 'could not remove the images of a refused request');
    });
  }

  /**
   * The same key and request within 24 hours give back the first task, charged once, however the
   * two requests overlap: the key is claimed in the charge's own transaction, and a second request
   * waits on the first's claim until it commits or rolls back.
   */
  async function chargeOnce(auth: KeyIdentity, task: NewTask, uploads: PendingUpload[], idempotencyKey: string): Promise<Submitted> {
    const request = byContent(task.request, uploads);
    const requestHash = sha256Hex(canonicalJson({ model: task.model, request, callback: task.callbackUrl, remix: task.remixedFrom }));
    const client = await sql.connect();
    try {
      await client.query('BEGIN');
      const { existing } = await claimIdempotencyKey(client, { userId: auth.userId, key: idempotencyKey, requestHash, taskId: task.taskId });
      if (!existing) {
        const created = await insertChargedTask(client, task);
        await client.query('COMMIT');
        return { task: created, replayed: false };
      }
      await client.query('COMMIT');
      if (existing.requestHash !== requestHash) {
        throw new AppError(
          'idempotency_key_reused',
          `Idempotency-Key ${idempotencyKey} was already used for a different request (task ${existing.taskId}) in the last 24 hours; send a new key for a new request`,
          'Idempotency-Key',
        );
      }
      // On this client: waiting for another from the pool while holding it could starve the pool.
      const original = await findOwnedTask(client, existing.taskId, auth.userId);
      return { task: original ?? taskNotFound(existing.taskId), replayed: true };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  const service = {
    /** Validates, charges and records a task, then hands it to the worker. */
    async submit(auth: KeyIdentity, body: SubmitBody, options: SubmitOptions): Promise<Submitted> {
      if (options.idempotencyKey && !IDEMPOTENCY_KEY.test(options.idempotencyKey)) {
        throw badRequest('Idempotency-Key must be 1–255 printable ASCII characters', 'Idempotency-Key');
      }
      const { task, uploads } = await prepare(auth, body, options);
      await storeUploads(task, uploads);
      let submitted: Submitted;
      try {
        submitted = options.idempotencyKey
          ? await chargeOnce(auth, task, uploads, options.idempotencyKey)
          : { task: await insertChargedTask(sql, task), replayed: false };
      } catch (err) {
        // A refusal (no quota, a reused Idempotency-Key) leaves no task; after any other error the
        // task may have been committed, so its images stay (the purge removes them if not).
        if (err instanceof AppError) await dropUploads(uploads, options.log);
        throw err;
      }
      if (submitted.replayed) {
        await dropUploads(uploads, options.log);
      } else {
        // The task is committed and paid for; if Redis is unavailable now, the worker's
        // reconciler finds it in PostgreSQL, so the client still gets its task id.
        await queue.enqueue(submitted.task.taskId).catch((err: unknown) => {
          options.log.warn({ err, task_id: submitted.task.taskId }, 'could not enqueue task; the reconciler will pick it up');
        });
      }
      return submitted;
    },

    async get(auth: KeyIdentity, taskId: string): Promise<TaskRow> {
      return (await findOwnedTask(sql, taskId, auth.userId)) ?? taskNotFound(taskId);
    },

    async record(auth: KeyIdentity, taskId: string): Promise<TaskRecordRow> {
      return (await findOwnedTaskRecord(sql, taskId, auth.userId)) ?? taskNotFound(taskId);
    },

    async list(auth: KeyIdentity, page: ListPage): Promise<{ tasks: TaskRow[]; hasMore: boolean }> {
      if (page.after !== null && !(await ownsTask(sql, page.after, auth.userId))) {
        throw badRequest(`after must be the id of one of your videos; ${page.after} is not`, 'after');
      }
      return listOwnedTasks(sql, auth.userId, page);
    },

    /** Hides the task from its owner for good; it keeps running (and is billed) if unfinished. */
    async remove(auth: KeyIdentity, taskId: string): Promise<void> {
      if (!(await softDeleteTask(sql, taskId, auth.userId))) taskNotFound(taskId);
    },

    /** A wan2.7-videoedit task that edits a finished video by a new prompt. */
    async remix(auth: KeyIdentity, taskId: string, body: { prompt?: string }, options: SubmitOptions): Promise<Submitted> {
      const original = await service.get(auth, taskId);
      if (original.status !== 'SUCCESS') {
        throw badRequest(`video ${taskId} cannot be remixed: it is ${original.status === 'FAILURE' ? 'failed' : 'not finished yet'}`, 'video_id');
      }
      const resolution = (original.request as { resolution?: string }).resolution;
      return service.submit(
        auth,
        { model: 'wan2.7-videoedit', prompt: body.prompt, resolution, images: [await sourceVideoUrl(original)] },
        { ...options, remixedFrom: original.taskId },
      );
    },
  };
  return service;
}
