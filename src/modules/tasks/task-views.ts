// How a task looks from outside: EasyRouter's task record and submit response, and OpenAI's
// Video object. The zod schemas document the routes; the functions build the bodies.
import { z } from 'zod';
import { EXAMPLE_TASK_ID } from '../../lib/ids.ts';
import { unixSeconds } from '../../lib/time.ts';
import type { PriceSnapshot } from '../pricing/quota.ts';
import { frameSize } from './models.ts';
import type { NormalizedRequest } from './normalize-request.ts';
import type { TaskRecordRow, TaskRow } from './tasks.repository.ts';

const TASK_STATUSES = ['NOT_START', 'QUEUED', 'IN_PROGRESS', 'SUCCESS', 'FAILURE'] as const;
const OPENAI_STATUSES = ['queued', 'in_progress', 'completed', 'failed'] as const;
type OpenAIStatus = (typeof OPENAI_STATUSES)[number];

const OPENAI_STATUS: Record<TaskRow['status'], OpenAIStatus> = {
  NOT_START: 'queued',
  QUEUED: 'queued',
  IN_PROGRESS: 'in_progress',
  SUCCESS: 'completed',
  FAILURE: 'failed',
};

const unix = z.int().describe('Unix seconds; 0 when it has not happened yet');

export const submitResponseSchema = z.object({
  id: z.string().describe('Public task id (task_ + 32 letters and digits)'),
  task_id: z.string().describe('Same as id'),
  object: z.literal('video'),
  model: z.string(),
  status: z.literal('queued'),
  progress: z.literal(0),
  created_at: z.int().describe('Unix seconds'),
}).meta({
  examples: [{ id: EXAMPLE_TASK_ID, task_id: EXAMPLE_TASK_ID, object: 'video', model: 'wan2.7-t2v', status: 'queued', progress: 0, created_at: 1764091234 }],
});

export const taskRecordSchema = z.object({
  id: z.int().describe('Internal auto-increment id'),
  task_id: z.string().describe('Public task id'),
  platform: z.string().describe('Upstream channel type; "17" is DashScope'),
  user_id: z.int(),
  group: z.string(),
  channel_id: z.int().describe('Upstream channel; 0 until the task has been sent upstream'),
  quota: z.int().describe('Quota charged for this task'),
  action: z.string().describe('textGenerate (t2v), generate (i2v), referenceGenerate (r2v), videoEdit (videoedit)'),
  status: z.enum(TASK_STATUSES),
  fail_reason: z.string().describe('"CODE: message"; empty unless FAILURE'),
  result_url: z
    .string()
    .describe("Video URL; empty unless SUCCESS. The gateway's own signed link once it holds a copy (shortly after SUCCESS), the upstream's 24-hour link until then"),
  submit_time: unix,
  start_time: unix,
  finish_time: unix,
  created_at: unix,
  updated_at: unix,
  progress: z.string().describe('e.g. "40%"'),
  properties: z.object({
    input: z.string(),
    upstream_model_name: z.string(),
    origin_model_name: z.string(),
  }),
  data: z.record(z.string(), z.unknown()).describe('The raw upstream DashScope response; {} before there is one'),
});

const EXAMPLE_PROMPT = 'A small cat running under moonlight, fur gently flowing in the wind, cinematic slow motion';
const EXAMPLE_RESULT_URL = `https://gateway.example.com/files/results/${EXAMPLE_TASK_ID}.mp4?expires=1764177634&signature=1f7026cb733ae064ca0bf655c044bd316e3fb455e75221ac2c6f6ce6ab5129f9`;

export const taskEnvelopeSchema = z.object({
  code: z.literal('success'),
  message: z.string(),
  data: taskRecordSchema,
}).meta({
  examples: [
    {
      code: 'success',
      message: '',
      data: {
        id: 1207,
        task_id: EXAMPLE_TASK_ID,
        platform: '17',
        user_id: 42,
        group: 'default',
        channel_id: 3,
        quota: 250_000,
        action: 'textGenerate',
        status: 'SUCCESS',
        fail_reason: '',
        result_url: EXAMPLE_RESULT_URL,
        submit_time: 1764091234,
        start_time: 1764091240,
        finish_time: 1764091301,
        created_at: 1764091234,
        updated_at: 1764091303,
        progress: '100%',
        properties: { input: '', upstream_model_name: 'wan2.7-t2v', origin_model_name: 'wan2.7-t2v' },
        data: {
          request_id: '62d7660b-f1d0-4e4e-ae29-edf7a1981d1d',
          output: { task_id: '87e48e78-5674-4989-8229-7f73af3ffddc', task_status: 'SUCCEEDED', video_url: 'https://dashscope-result.oss-cn-beijing.aliyuncs.com/...' },
          usage: { duration: 5, SR: 720, ratio: '16:9', video_count: 1 },
        },
      },
    },
  ],
});

const exampleVideo = {
  id: EXAMPLE_TASK_ID,
  object: 'video',
  model: 'wan2.7-t2v',
  status: 'completed',
  progress: 100,
  created_at: 1764091234,
  completed_at: 1764091301,
  expires_at: 1766683301,
  error: null,
  prompt: EXAMPLE_PROMPT,
  remixed_from_video_id: null,
  seconds: '5',
  size: '1280x720',
  metadata: { url: EXAMPLE_RESULT_URL },
} as const;

export const openAIVideoSchema = z.object({
  id: z.string(),
  object: z.literal('video'),
  model: z.string(),
  status: z.enum(OPENAI_STATUSES),
  progress: z.int().min(0).max(100),
  created_at: z.int(),
  completed_at: z.int().nullable(),
  expires_at: z.int().nullable().describe('When the video can no longer be downloaded'),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  prompt: z.string().nullable(),
  remixed_from_video_id: z.string().nullable(),
  seconds: z.string(),
  size: z.string(),
  metadata: z.object({ url: z.string().optional() }).describe('url: the video, once completed'),
}).meta({ examples: [exampleVideo] });

export const openAIVideoCreatedSchema = openAIVideoSchema.extend({ task_id: z.string() }).meta({
  examples: [
    {
      ...exampleVideo,
      status: 'queued',
      progress: 0,
      completed_at: null,
      expires_at: null,
      metadata: {},
      task_id: EXAMPLE_TASK_ID,
    },
  ],
});

export const openAIVideoListSchema = z.object({
  object: z.literal('list'),
  data: z.array(openAIVideoSchema),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
}).meta({ examples: [{ object: 'list', data: [exampleVideo], first_id: EXAMPLE_TASK_ID, last_id: EXAMPLE_TASK_ID, has_more: false }] });

export const openAIVideoDeletedSchema = z
  .object({ id: z.string(), object: z.literal('video.deleted'), deleted: z.literal(true) })
  .meta({ examples: [{ id: EXAMPLE_TASK_ID, object: 'video.deleted', deleted: true }] });

/** DashScope's result links live 24 hours. */
const UPSTREAM_LINK_S = 24 * 3600;

export function toSubmitResponse(task: TaskRow): z.infer<typeof submitResponseSchema> {
  return {
    id: task.taskId,
    task_id: task.taskId,
    object: 'video',
    model: task.model,
    status: 'queued',
    progress: 0,
    created_at: unixSeconds(task.createdAt),
  };
}

/** `resultUrl`: the link clients get for the video (see ResultLinks). */
export function toTaskRecord(task: TaskRecordRow, resultUrl: string): z.infer<typeof taskRecordSchema> {
  return {
    id: task.id,
    task_id: task.taskId,
    platform: task.platform,
    user_id: task.userId,
    group: task.group,
    channel_id: task.channelId ?? 0,
    quota: Number(task.quota),
    action: task.action,
    status: task.status,
    fail_reason: task.failReason,
    result_url: resultUrl,
    submit_time: unixSeconds(task.submitTime),
    start_time: unixSeconds(task.startTime),
    finish_time: unixSeconds(task.finishTime),
    created_at: unixSeconds(task.createdAt),
    updated_at: unixSeconds(task.updatedAt),
    progress: `${task.progress}%`,
    properties: { input: '', upstream_model_name: task.upstreamModel, origin_model_name: task.model },
    data: task.data as Record<string, unknown>,
  };
}

export function toOpenAIVideo(task: TaskRow, resultUrl: string): z.infer<typeof openAIVideoSchema> {
  const request = task.request as unknown as NormalizedRequest;
  const price = task.priceSnapshot as unknown as PriceSnapshot;
  const terminal = task.status === 'SUCCESS' || task.status === 'FAILURE';
  return {
    id: task.taskId,
    object: 'video',
    model: task.model,
    status: OPENAI_STATUS[task.status],
    progress: task.progress,
    created_at: unixSeconds(task.createdAt),
    completed_at: terminal ? unixSeconds(task.finishTime ?? task.updatedAt) : null,
    expires_at: task.status === 'SUCCESS' ? expiresAt(task) : null,
    error: task.status === 'FAILURE' ? failureOf(task.failReason) : null,
    prompt: request.prompt,
    remixed_from_video_id: task.remixedFrom,
    seconds: String(request.duration ?? price.seconds),
    size: request.size ?? frameSize(request.resolution, request.ratio ?? '16:9'),
    metadata: resultUrl ? { url: resultUrl } : {},
  };
}

export function toOpenAIVideoCreated(task: TaskRow, resultUrl = ''): z.infer<typeof openAIVideoCreatedSchema> {
  return { ...toOpenAIVideo(task, resultUrl), task_id: task.taskId };
}

// The gateway's copy lasts until its retention ends; without one, the upstream's link lasts a day.
function expiresAt(task: TaskRow): number | null {
  if ((task.resultCopy === 'stored' || task.resultCopy === 'expired') && task.resultExpiresAt) return unixSeconds(task.resultExpiresAt);
  return task.finishTime ? unixSeconds(task.finishTime) + UPSTREAM_LINK_S : null;
}

// fail_reason is "CODE: message" when the upstream gave a code.
function failureOf(reason: string): { code: string; message: string } {
  const match = /^([A-Za-z][\w.]*): (.*)$/s.exec(reason);
  return match ? { code: match[1] as string, message: match[2] as string } : { code: 'failed', message: reason || 'task failed' };
}
