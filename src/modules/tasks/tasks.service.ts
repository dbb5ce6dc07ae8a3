import type { FastifyBaseLogger } from 'fastify';
import { canonicalJson } from '../../lib/canonical-json.ts';
import type { Db } from '../../db/database.ts';
import { AppError, badRequest } from '../../lib/errors.ts';
import { newTaskId, sha256Hex } from '../../lib/ids.ts';
import { type KeyIdentity, mayUseModel } from '../auth/key-identity.ts';
import type { PriceCatalog } from '../pricing/catalog.ts';
import { describeCharge, type PriceSnapshot, priceTask } from '../pricing/quota.ts';
import { ACTION_BY_CAPABILITY, capabilityOf } from './models.ts';
import type { Storage } from '../../storage/storage.ts';
import type { ImageFile } from './images.ts';
import { normalizeRequest } from './normalize-request.ts';
import type { SubmitBody } from './submit.schema.ts';
import { byContent, type PendingUpload, pendingUpload, takeInlineImages, UPLOAD_SCHEME } from './uploads.ts';
import { type EndTaskDeps, endTask } from '../../lifecycle/end-task.ts';
import type { ChargeBatcher } from './charge-batcher.ts';
import type { TaskCache } from './task-cache.ts';
import type { TaskEvents } from './task-events.ts';
import type { CreatedTask, Verdict } from './charge.repository.ts';
import { keyWebhookEvents } from '../../webhooks/events.ts';
import { currentTraceparent } from '../../observability/tracing.ts';
import {
  canPay,
  findIdempotencyKeyUse,
  findOwnedTask,
  findTask,
  type ListPage,
  listOwnedTasks,
  queuePosition,
  type NewTask,
  ownsTask,
  softDeleteTask,
  type TaskRow,
} from './tasks.repository.ts';

const FINAL = new Set(['SUCCESS', 'FAILURE']);

/** EasyRouter shows a task's `platform` as its channel type; 17 is Alibaba DashScope. */
export const DASHSCOPE_PLATFORM = '17';

export interface TaskServiceDeps {
  db: Db;
  /** Charges submits together (one statement per batch). */
  charges: ChargeBatcher;
  /** Changes to tasks as they are committed anywhere. */
  events: TaskEvents;
  /** Task rows kept fresh by `events`, for polls. */
  cache: TaskCache;
  /** Ends an unfinished task (the client's cancel). */
  ending: EndTaskDeps;
  catalog: PriceCatalog;
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

export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const REFUSALS: Record<Exclude<Verdict, 'ok'>, () => AppError> = {
  quota: () => new AppError('insufficient_user_quota', 'insufficient user quota'),
  // The spec's own words for a 402, whichever limit it was.
  key_quota: () => new AppError('insufficient_user_quota', 'insufficient user quota'),
  inflight: () =>
    new AppError('too_many_inflight_tasks', 'this API key has as many unfinished tasks as it may have at once (max_inflight); wait for one to finish'),
};

const refusal = (verdict: keyof typeof REFUSALS): AppError => REFUSALS[verdict]();

/**
 * The whole row of a task just charged: what the charge wrote, the table's defaults, and what the
 * database made (its id and times). test/submit.test.ts checks it against the stored row.
 */
function chargedTask(task: NewTask, created: CreatedTask, traceparent: string | null): TaskRow {
  return {
    ...created,
    submitTime: created.createdAt,
    updatedAt: created.createdAt,
    platform: task.platform,
    userId: task.userId,
    keyId: task.keyId,
    group: task.group,
    channelId: null,
    model: task.model,
    upstreamModel: task.model,
    action: task.action,
    status: 'NOT_START',
    progress: 0,
    failReason: '',
    resultUrl: '',
    resultCopy: 'none',
    resultKey: null,
    resultBytes: null,
    resultSha256: null,
    thumbnailKey: null,
    resultExpiresAt: null,
    callbackUrl: task.callbackUrl,
    webhookEvents: task.webhookEvents,
    remixedFrom: task.remixedFrom,
    deletedAt: null,
    quota: BigInt(task.price.quota),
    priceSnapshot: task.price,
    request: task.request,
    data: {},
    upstreamTaskId: null,
    attempts: 0,
    submitStartedAt: null,
    unknownSince: null,
    traceparent,
    startTime: null,
    finishTime: null,
  };
}

const taskNotFound = (taskId: string): never => {
  throw new AppError('not_found', `task ${taskId} not found`, 'task_id');
};

export type TaskService = ReturnType<typeof createTaskService>;

export function createTaskService({ db, charges, events, cache, ending, catalog, checkCallbackUrl, sourceVideoUrl, storage, maxImageBytes }: TaskServiceDeps) {
  /** Requests waiting for their task's end, released at once when the server shuts down. */
  const waiting = new Set<() => void>();
  /** Set when the server shuts down: a request that arrives while it drains is not held either. */
  let released = false;

  /**
   * Everything a submit checks and prices before it touches money or storage; a quote is this
   * alone. Images the request carries are held in memory (`uploads`) until the customer can pay.
   */
  async function prepare(auth: KeyIdentity, body: SubmitBody, options: SubmitOptions): Promise<{ task: NewTask; uploads: PendingUpload[] }> {
    const model = body.model?.trim() || options.defaultModel;
    if (!model) throw badRequest('model is required', 'model');
    const capability = capabilityOf(model);
    const price = capability && (await catalog.price(model));
    if (!capability || !price) throw badRequest(`unknown model: ${model}`, 'model');
    if (!mayUseModel(auth, model)) {
      throw new AppError('model_not_allowed', `this API key may not use ${model}; it is limited to ${auth.models.join(', ')}`, 'model');
    }
    const taskId = newTaskId();
    const uploads = options.uploadedFile ? [pendingUpload(options.uploadedFile, taskId, 0)] : [];
    const uploadedReference = uploads[0] && `${UPLOAD_SCHEME}${uploads[0].key}`;
    const request = takeInlineImages(normalizeRequest(body, model, capability, { uploadedReference, maxImageBytes }), taskId, uploads);
    const resolutionRatio = price.resolutionRatios[request.resolution];
    if (!resolutionRatio) throw badRequest(`${model} is not available at ${request.resolution}`, 'resolution');
    const groupRatio = await catalog.groupRatio(auth.group);
    const callbackUrl = body.callback_url ?? auth.callbackUrl;
    const webhookEvents = [...new Set(body.webhook_events ?? keyWebhookEvents(auth.webhookEvents))];
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
      webhookEvents,
      remixedFrom: options.remixedFrom ?? null,
    };
    return { task, uploads };
  }

  /** Writes a request's images, once it is sure the customer can pay for the task. */
  async function storeUploads(task: NewTask, uploads: PendingUpload[]): Promise<void> {
    if (uploads.length === 0) return;
    if (!(await canPay(db, task))) throw refusal('quota');
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
   * Charges the task, or answers why not. The same Idempotency-Key and request within 24 hours
   * give back the first task, charged once, however the two requests overlap: the key is claimed
   * in the charge's own statement, and a second use waits for the first's outcome.
   */
  async function charge(auth: KeyIdentity, task: NewTask, uploads: PendingUpload[], idempotencyKey: string | undefined): Promise<Submitted> {
    // Uploaded images are compared by their content: each request stores them under its own key.
    const requestHash =
      idempotencyKey === undefined
        ? null
        : sha256Hex(canonicalJson({ model: task.model, request: byContent(task.request, uploads), callback: task.callbackUrl, events: task.webhookEvents, remix: task.remixedFrom }));
    const traceparent = currentTraceparent();
    const outcome = await charges.charge({
      user_id: task.userId,
      key_id: task.keyId,
      quota: task.price.quota,
      task_id: task.taskId,
      platform: task.platform,
      group: task.group,
      model: task.model,
      action: task.action,
      price_snapshot: task.price,
      request: task.request,
      callback_url: task.callbackUrl,
      webhook_events: task.webhookEvents,
      remixed_from: task.remixedFrom,
      log_content: task.logContent,
      idem_key: idempotencyKey ?? null,
      idem_hash: requestHash,
      traceparent,
    });
    if (outcome.kind === 'charged') return { task: chargedTask(task, outcome.created, traceparent), replayed: false };
    if (outcome.kind === 'refused') throw refusal(outcome.verdict);
    const use = idempotencyKey === undefined ? null : await findIdempotencyKeyUse(db, auth.userId, idempotencyKey);
    if (!use) throw new AppError('unavailable', 'the Idempotency-Key was released while this request waited for it; send the request again');
    if (use.requestHash !== requestHash) {
      throw new AppError(
        'idempotency_key_reused',
        `Idempotency-Key ${idempotencyKey} was already used for a different request (task ${use.taskId}) in the last 24 hours; send a new key for a new request`,
        'Idempotency-Key',
      );
    }
    return { task: (await findOwnedTask(db, use.taskId, auth.userId)) ?? taskNotFound(use.taskId), replayed: true };
  }

  const service = {
    /** Validates, charges and records a task; the worker's dispatcher queues it from there. */
    async submit(auth: KeyIdentity, body: SubmitBody, options: SubmitOptions): Promise<Submitted> {
      if (options.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(options.idempotencyKey)) {
        throw badRequest('Idempotency-Key must be 1–255 printable ASCII characters', 'Idempotency-Key');
      }
      const { task, uploads } = await prepare(auth, body, options);
      await storeUploads(task, uploads);
      let submitted: Submitted;
      try {
        // Committed and paid for, the task waits in task_dispatch until a worker's dispatcher
        // queues it: nothing here waits on Redis.
        submitted = await charge(auth, task, uploads, options.idempotencyKey);
      } catch (err) {
        // A refusal (no quota, a reused Idempotency-Key) leaves no task; after any other error the
        // task may have been committed, so its images stay (the purge removes them if not).
        if (err instanceof AppError && err.code !== 'unavailable') await dropUploads(uploads, options.log);
        throw err;
      }
      if (submitted.replayed) await dropUploads(uploads, options.log);
      return submitted;
    },

    /** What `submit` would charge for this body, checked as a submit checks it; nothing is written. */
    async quote(auth: KeyIdentity, body: SubmitBody, options: SubmitOptions): Promise<PriceSnapshot> {
      return (await prepare(auth, body, options)).task.price;
    },

    /** One of the caller's tasks, from the cache when it holds a fresh copy. */
    async get(auth: KeyIdentity, taskId: string): Promise<TaskRow> {
      const task = await cache.get(taskId, (id) => findTask(db, id));
      return task && task.userId === auth.userId && task.deletedAt === null ? task : taskNotFound(taskId);
    },

    /**
     * The task once it is final, or as it is after `waitMs` (Prefer: wait). Waiting costs a
     * subscription to the status stream, not a database read per moment waited.
     */
    async waitForEnd(auth: KeyIdentity, task: TaskRow, waitMs: number): Promise<TaskRow> {
      if (FINAL.has(task.status) || waitMs <= 0 || released) return task;
      const taskId = task.taskId;
      const current = () => service.get(auth, taskId);
      return new Promise<TaskRow>((resolve, reject) => {
        let settled = false;
        const finish = () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          stopFollowing();
          stopGap();
          waiting.delete(finish);
          current().then(resolve, reject);
        };
        const check = () => {
          current().then((now) => (FINAL.has(now.status) ? finish() : undefined), () => finish());
        };
        const timer = setTimeout(finish, waitMs);
        const stopFollowing = events.follow(taskId, (change) => {
          if (FINAL.has(change.status)) finish();
        });
        // Changes missed while the stream was down, or just before following began.
        const stopGap = events.onGap(check);
        waiting.add(finish);
        check();
      });
    },

    /** How many tasks of its model are ahead of a task not yet sent upstream. */
    queuePosition(task: TaskRow): Promise<number> {
      return queuePosition(db, task);
    },

    /** Answers every waiting request now, with its task as it is (the server is shutting down). */
    releaseWaiters(): void {
      released = true;
      for (const finish of [...waiting]) finish();
    },

    /**
     * The client's cancel: ends a task that has not started running upstream, with a full refund;
     * a running or finished task is left as it is (409).
     */
    async cancel(auth: KeyIdentity, taskId: string): Promise<TaskRow> {
      const task = await service.get(auth, taskId);
      const outcome = await endTask(ending, task, 'cancel', 'Canceled: canceled by the client');
      if (outcome.ended) {
        cache.forget(taskId);
        return outcome.task;
      }
      if (outcome.why === 'running') {
        throw new AppError('conflict', `task ${taskId} is already running upstream and can no longer be canceled; it will end on its own`, 'task_id');
      }
      throw new AppError('conflict', `task ${taskId} has already ended (${outcome.task.status}); there is nothing to cancel`, 'task_id');
    },

    async list(auth: KeyIdentity, page: ListPage): Promise<{ tasks: TaskRow[]; hasMore: boolean }> {
      if (page.after !== null && !(await ownsTask(db, page.after, auth.userId))) {
        throw badRequest(`after must be the id of one of your videos; ${page.after} is not`, 'after');
      }
      return listOwnedTasks(db, auth.userId, page);
    },

    /** Hides the task from its owner for good; it keeps running (and is billed) if unfinished. */
    async remove(auth: KeyIdentity, taskId: string): Promise<void> {
      if (!(await softDeleteTask(db, taskId, auth.userId))) taskNotFound(taskId);
      // This process's next read must not wait for the change to come back through the status stream.
      cache.forget(taskId);
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
