// The guide at the top of the API reference (the OpenAPI document's info.description, Markdown,
// shown by Swagger UI above the operations): what the hosted service's public page teaches its
// reader, with this server's own URL, poll interval and error codes.
import { DEFAULT_GROUP, DEFAULT_PRICE } from '../db/seed.ts';
import { type ErrorCode, errorCodes } from '../lib/errors.ts';
import { QUOTA_PER_UNIT, quotaFor } from '../modules/pricing/quota.ts';
import { DURATION_LIMITS, type Resolution, VIDEOEDIT_BILLED_SECONDS } from '../modules/tasks/models.ts';

export interface GuideFacts {
  /** Where clients reach this server (the document's `servers`). */
  baseUrl: string;
  /** POLL_INTERVAL_MS: how often the worker asks the upstream about a running task. */
  pollIntervalMs: number;
  /** RESULT_RETENTION_DAYS: how long the gateway keeps a finished video. */
  resultRetentionDays: number;
  /** The error codes some operation answers, in the order of the error table. */
  errorCodes: readonly ErrorCode[];
}

const thousands = (n: number) => n.toLocaleString('en-US');

// The worked examples, priced by the gateway's own pricing at the prices a fresh install seeds.
function example(resolution: Resolution, seconds: number) {
  const ratio = DEFAULT_PRICE.resolutionRatios[resolution];
  const quota = quotaFor(
    {
      model: 'wan2.7-t2v',
      price_per_second: String(DEFAULT_PRICE.pricePerSecond),
      quota_per_unit: QUOTA_PER_UNIT,
      group: DEFAULT_GROUP.name,
      group_ratio: String(DEFAULT_GROUP.ratio),
      resolution,
      resolution_ratio: String(ratio),
      seconds,
    },
    seconds,
  );
  const computation = `${Number(DEFAULT_PRICE.pricePerSecond).toFixed(2)} × ${thousands(QUOTA_PER_UNIT)} × ${DEFAULT_GROUP.ratio} × ${seconds} × ${ratio.toFixed(1)}`;
  return `| ${resolution} × ${seconds} s | ${computation} | **${thousands(quota)}** (${(quota / QUOTA_PER_UNIT).toFixed(2)} USD) |`;
}

function billingExamples(): string {
  return ['| Task | Computation | Quota |', '| --- | --- | --- |', example('720P', 5), example('1080P', 10)].join('\n');
}

function errorTable(codes: readonly ErrorCode[]): string {
  const rows = codes.map((code) => {
    const { status, openaiType, meaning } = errorCodes[code];
    return `| ${status} | \`${code}\` | \`${openaiType}\` | ${meaning} |`;
  });
  return ['| Status | `code` | OpenAI `type` | When |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function apiGuide({ baseUrl, pollIntervalMs, resultRetentionDays, errorCodes: codes }: GuideFacts): string {
  const pollSeconds = Math.round(pollIntervalMs / 1000);
  const listed = (Object.keys(errorCodes) as ErrorCode[])
    .filter((code) => codes.includes(code) || code === 'internal_error')
    .sort((a, b) => errorCodes[a].status - errorCodes[b].status);
  return `
A self-hosted gateway to Alibaba's Wan 2.7 video models, compatible field for field with EasyRouter's
Wan 2.7 API (\`/v1/video/generations\`) and with OpenAI's Videos API (\`/v1/videos\`, which the official
\`openai\` SDKs call unchanged). Video generation is asynchronous: **submit** a task, **poll** it until it
ends, then **download** the video.

## Authentication

| Routes | Send | In this page |
| --- | --- | --- |
| \`/v1/...\` (clients) | \`Authorization: Bearer sk-...\`: an API key the operator made with \`POST /admin/keys\` (shown once) | **Authorize** → \`apiKey\` |
| \`/admin/...\` (operators) | \`Authorization: Bearer <ADMIN_TOKEN>\`: the token the server was started with | **Authorize** → \`adminToken\` |
| \`/healthz\`, \`/readyz\`, \`/openapi.json\`, file links | nothing | |

A key may be limited to some models (\`403 model_not_allowed\`), expire, or carry its own spending
limit. While the server has no ADMIN_TOKEN, the admin API answers \`403 admin_disabled\` to everyone.

## A task from start to end

\`\`\`sh
BASE=${baseUrl}
KEY=sk-...

# 1. Submit (charged now; answers at once)
curl -s -X POST $BASE/v1/video/generations \\
  -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \\
  -d '{"model": "wan2.7-t2v", "prompt": "A small cat running under moonlight", "resolution": "720P", "duration": 5}'
# {"id":"task_...","task_id":"task_...","object":"video","model":"wan2.7-t2v","status":"queued","progress":0,"created_at":...}

# 2. Poll every ${pollSeconds} s until data.status is SUCCESS or FAILURE
curl -s $BASE/v1/video/generations/task_... -H "Authorization: Bearer $KEY"
# {"code":"success","message":"","data":{"task_id":"task_...","status":"IN_PROGRESS","progress":"38%",...}}

# 3. Download
curl -s -o video.mp4 "<data.result_url>"
\`\`\`

The same with OpenAI's SDK: \`new OpenAI({ baseURL: '${baseUrl}/v1', apiKey: 'sk-...' })\`, then
\`videos.create\`, \`videos.retrieve\` until \`status\` is \`completed\` or \`failed\`, and
\`videos.downloadContent\`.

Before submitting: \`GET /v1/models\` lists the models your key may use, each with what a second costs
at each resolution; \`POST /v1/video/quote\` takes a submit's body and answers what that submit would
charge, without charging it; \`GET /v1/dashboard/billing/subscription\` and \`.../usage\` give your limit
and your spending as new-api answers them, so client tools built for new-api show your balance.

The models: \`wan2.7-t2v\` (from text), \`wan2.7-i2v\` (from a first-frame image, \`input_reference\`),
\`wan2.7-r2v\` (from 1–9 reference images in \`metadata.input.media\`) and \`wan2.7-videoedit\` (edits the
video in \`images[0]\`, with up to 3 reference images after it). \`resolution\` is 720P (default) or 1080P;
\`duration\` ${DURATION_LIMITS.min}–${DURATION_LIMITS.max} seconds (default ${DURATION_LIMITS.default}; ${DURATION_LIMITS.min}–${DURATION_LIMITS.maxWithReferenceVideo} for r2v with a reference video).

## Billing

\`\`\`
quota = modelPrice × ${thousands(QUOTA_PER_UNIT)} × groupRatio × seconds × resolutionRatio
\`\`\`

${thousands(QUOTA_PER_UNIT)} quota is 1 USD. With the prices a new gateway starts with (every Wan 2.7 model
${Number(DEFAULT_PRICE.pricePerSecond).toFixed(2)} USD per second; resolution ratio ${DEFAULT_PRICE.resolutionRatios['720P']} for 720P and ${DEFAULT_PRICE.resolutionRatios['1080P']} for 1080P; group \`${DEFAULT_GROUP.name}\` ratio ${DEFAULT_GROUP.ratio}), which the
operator may have changed:

${billingExamples()}

A task is charged when it is submitted, in exact decimal arithmetic rounded half-up to a whole unit. A
refused request (any 4xx) costs nothing. A task that fails is refunded in full. \`wan2.7-videoedit\`'s
output follows its source video, so it is charged for ${VIDEOEDIT_BILLED_SECONDS} s at submit and settled to the seconds produced
when it succeeds, the difference refunded. A task's \`quota\` is what it cost in the end.

## Task statuses

| \`data.status\` | OpenAI \`status\` | \`progress\` | Meaning |
| --- | --- | --- | --- |
| \`NOT_START\` | \`queued\` | 0% | Accepted and charged; not yet accepted by the upstream. |
| \`QUEUED\` | \`queued\` | 10% | Waiting in the upstream's queue. |
| \`IN_PROGRESS\` | \`in_progress\` | 20–95% | Being generated (the progress is estimated from the running time). |
| \`SUCCESS\` | \`completed\` | 100% | Done: \`result_url\` (OpenAI: \`metadata.url\`, or \`GET /v1/videos/{video_id}/content\`) is the video. |
| \`FAILURE\` | \`failed\` | 100% | Ended without a video: \`fail_reason\` is \`CODE: message\` (OpenAI: \`error: {code, message}\`); refunded in full. |

\`SUCCESS\` and \`FAILURE\` are final. The gateway copies every finished video and keeps it
${resultRetentionDays} days after the task ended, so \`result_url\` outlives the upstream's 24-hour link; each link it
hands out is signed and expires after a while, and a new query gives a fresh one.

## How often to poll

This server asks the upstream about a running task every ${thousands(pollIntervalMs)} ms (its POLL_INTERVAL_MS), so
polling it more often learns nothing new: poll every ${pollSeconds} s. \`GET /v1/videos/{video_id}\` says so
itself: while the video is queued or in progress its answer carries \`openai-poll-after-ms: ${pollIntervalMs}\`.
Instead of polling, a task can report its end to a \`callback_url\` (a signed webhook).

\`\`\`sh
TASK=task_...   # the id the submit answered
while :; do
  STATUS=$(curl -s $BASE/v1/video/generations/$TASK -H "Authorization: Bearer $KEY" |
    python3 -c 'import sys, json; print(json.load(sys.stdin)["data"]["status"])')
  case $STATUS in SUCCESS|FAILURE) break ;; esac
  sleep ${pollSeconds}
done
\`\`\`

## Errors

Errors on the routes OpenAI's clients call (\`/v1/videos*\`, \`/v1/models*\`, \`/v1/dashboard/*\` and
\`/dashboard/*\`) have OpenAI's shape, everything else (\`/v1/video/*\`, \`/admin/*\`...) EasyRouter's:

\`\`\`
{"error": {"message": "prompt is required", "type": "invalid_request_error", "param": "prompt", "code": "invalid_request"}}
{"code": "invalid_request", "message": "prompt is required", "data": null}
\`\`\`

${errorTable(listed)}

The message says what to fix; every answer carries \`x-request-id\`, which identifies the request in the
server's logs. Each operation below lists the errors it can answer. A 5xx answer to a \`POST\` carries
\`x-should-retry: false\`: to retry a create safely, send an \`Idempotency-Key\` header. The same key with
the same body within 24 hours returns the first task (with \`Idempotent-Replayed: true\`) and charges once;
with another body it is \`422 idempotency_key_reused\`.
`.trim();
}
