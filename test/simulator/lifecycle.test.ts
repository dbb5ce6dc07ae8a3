// Each model's example from the gateway's spec (section 4), in DashScope's body shape, goes
// PENDING → RUNNING → SUCCEEDED with the documented fields, usage and a playable result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHINA_TIME, fromChinaTime, type Harness, startSimulator, UUID } from './harness.ts';

const PENDING_MS = 150;
const RUNNING_MS = 150;

let sim: Harness;
beforeAll(async () => {
  sim = await startSimulator({ pendingMs: PENDING_MS, runningMs: RUNNING_MS });
});
afterAll(() => sim.close());

const SPEC_EXAMPLES = {
  t2v: {
    body: {
      model: 'wan2.7-t2v',
      input: { prompt: 'A small cat running under moonlight, fur gently flowing in the wind, cinematic slow motion' },
      parameters: { resolution: '720P', duration: 5, ratio: '16:9', seed: 42 },
    },
    usage: { duration: 5, input_video_duration: 0, output_video_duration: 5, video_count: 1, ratio: '16:9', SR: 720 },
  },
  i2v: {
    body: {
      model: 'wan2.7-i2v',
      input: {
        prompt: 'Realistic style, a small black cat curiously looks up at the sky, camera slowly zooms in',
        media: [{ type: 'first_frame', url: 'https://wanx.alicdn.com/material/20250318/first_frame.png' }],
      },
      parameters: { resolution: '720P', duration: 5 },
    },
    usage: { duration: 5, input_video_duration: 0, output_video_duration: 5, video_count: 1, SR: 720 },
  },
  r2v: {
    body: {
      model: 'wan2.7-r2v',
      input: {
        prompt: '3D cartoon adventure movie style, chibi character with refined textures, [Image 1] character running joyfully',
        media: [
          {
            type: 'reference_image',
            url: 'https://help-static-aliyun-doc.aliyuncs.com/file-manage-files/zh-CN/20260403/wgjaxy/banana_storyboard_00000020.png',
          },
        ],
      },
      parameters: { resolution: '720P', duration: 5, ratio: '16:9' },
    },
    usage: { duration: 5, input_video_duration: 0, output_video_duration: 5, video_count: 1, SR: 720, ratio: '16:9' },
  },
  videoedit: {
    body: {
      model: 'wan2.7-videoedit',
      input: {
        prompt: 'Replace the outfit of the girl in the video with the clothing shown in the reference image',
        media: [
          { type: 'video', url: 'https://help-static-aliyun-doc.aliyuncs.com/file-manage-files/zh-CN/20260403/nlspwm/T2VA_22.mp4' },
          {
            type: 'reference_image',
            url: 'https://help-static-aliyun-doc.aliyuncs.com/file-manage-files/zh-CN/20260402/fwjpqf/wan2.7-videoedit-change-clothes.png',
          },
        ],
      },
      parameters: { resolution: '720P' },
    },
    // The source lasts 4.43 s by the simulator's URL-derived length; input and output both count.
    usage: { duration: 8.86, input_video_duration: 4.43, output_video_duration: 4.43, video_count: 1, SR: 720 },
  },
};

describe.each(Object.entries(SPEC_EXAMPLES))('the spec %s example', (_model, example) => {
  let taskId: string;
  let submittedAt: number;
  let seen: string[];
  let final: any;

  beforeAll(async () => {
    submittedAt = Date.now();
    const reply = await sim.submit(example.body);
    expect(reply.status, reply.text).toBe(200);
    taskId = reply.body.output.task_id;
    const result = await sim.waitFor(taskId, 'SUCCEEDED');
    seen = result.seen;
    final = result.last.body;
  });

  it('goes PENDING → RUNNING → SUCCEEDED', () => {
    expect(seen).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
  });

  it('answers with the documented SUCCEEDED body', () => {
    expect(Object.keys(final)).toEqual(['request_id', 'output', 'usage']);
    expect(final.request_id).toMatch(UUID);
    expect(Object.keys(final.output)).toEqual(['task_id', 'task_status', 'submit_time', 'scheduled_time', 'end_time', 'orig_prompt', 'video_url']);
    expect(final.output.task_id).toBe(taskId);
    expect(final.output.orig_prompt).toBe(example.body.input.prompt);
  });

  it('reports the usage DashScope reports for this model, field for field', () => {
    expect(final.usage).toStrictEqual(example.usage);
    expect(Object.keys(final.usage)).toEqual(Object.keys(example.usage));
  });

  it('writes times in UTC+8, pendingMs and runningMs apart', () => {
    const { submit_time, scheduled_time, end_time } = final.output;
    for (const time of [submit_time, scheduled_time, end_time]) expect(time).toMatch(CHINA_TIME);
    expect(Math.abs(fromChinaTime(submit_time) - submittedAt)).toBeLessThan(1_000);
    expect(fromChinaTime(scheduled_time) - fromChinaTime(submit_time)).toBe(PENDING_MS);
    expect(fromChinaTime(end_time) - fromChinaTime(scheduled_time)).toBe(RUNNING_MS);
  });

  it('links to a signed MP4 on the simulator itself', async () => {
    const url = new URL(final.output.video_url);
    expect(`${url.origin}${url.pathname}`).toBe(`${sim.base}/results/${taskId}.mp4`);
    expect(url.searchParams.get('OSSAccessKeyId')).toBe('sim');
    expect(url.searchParams.get('Signature')).toMatch(/^[\w-]{43}$/);
    const expires = Number(url.searchParams.get('Expires'));
    expect(expires).toBe(Math.ceil(fromChinaTime(final.output.end_time) / 1000) + 60);

    const video = await fetch(url);
    expect(video.status).toBe(200);
    expect(video.headers.get('content-type')).toBe('video/mp4');
    expect(video.headers.get('x-request-id')).toBeNull();
    const bytes = Buffer.from(await video.arrayBuffer());
    expect(Number(video.headers.get('content-length'))).toBe(bytes.length);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
  });

  it('keeps answering the same body once finished', async () => {
    const again = await sim.query(taskId);
    expect(again.body.output).toEqual(final.output);
    expect(again.body.request_id).not.toBe(final.request_id);
  });
});

describe('the shapes before success', () => {
  it('PENDING has submit_time only; RUNNING adds scheduled_time', async () => {
    const submitted = await sim.submit(SPEC_EXAMPLES.t2v.body);
    const taskId = submitted.body.output.task_id;
    const pending = await sim.query(taskId);
    expect(pending.body).toEqual({
      request_id: pending.headers.get('x-request-id'),
      output: { task_id: taskId, task_status: 'PENDING', submit_time: expect.stringMatching(CHINA_TIME) },
    });
    const { last: running } = await sim.waitFor(taskId, 'RUNNING');
    expect(running.body.output).toEqual({
      task_id: taskId,
      task_status: 'RUNNING',
      submit_time: pending.body.output.submit_time,
      scheduled_time: expect.stringMatching(CHINA_TIME),
    });
    expect(running.body.usage).toBeUndefined();
  });
});

describe('usage for other requests', () => {
  const usageOf = async (body: unknown) => {
    const reply = await sim.submit(body);
    expect(reply.status, reply.text).toBe(200);
    return (await sim.waitFor(reply.body.output.task_id, 'SUCCEEDED')).last.body.usage;
  };

  it('defaults to 1080P, 5 s and 16:9 as DashScope does', async () => {
    expect(await usageOf({ model: 'wan2.7-t2v', input: { prompt: 'x' } })).toStrictEqual({
      duration: 5,
      input_video_duration: 0,
      output_video_duration: 5,
      video_count: 1,
      ratio: '16:9',
      SR: 1080,
    });
  });

  it('r2v bills its reference videos as input seconds', async () => {
    const media = [
      { type: 'reference_video', url: 'https://example.com/clips/role2.mp4' },
      { type: 'reference_video', url: 'https://example.com/clips/dance.mp4' },
      { type: 'reference_image', url: 'https://example.com/a.png' },
    ];
    // role2.mp4 lasts 7 s and dance.mp4 10 s by the simulator's URL-derived lengths.
    expect(await usageOf({ model: 'wan2.7-r2v', input: { prompt: 'x', media }, parameters: { duration: 10, ratio: '9:16' } })).toStrictEqual({
      duration: 27,
      input_video_duration: 17,
      output_video_duration: 10,
      video_count: 1,
      SR: 1080,
      ratio: '9:16',
    });
  });

  it('videoedit with a duration edits and outputs that many seconds', async () => {
    const media = [{ type: 'video', url: 'https://example.com/clips/role2.mp4' }];
    expect(await usageOf({ model: 'wan2.7-videoedit', input: { media }, parameters: { duration: 3, resolution: '720P' } })).toStrictEqual({
      duration: 6,
      input_video_duration: 3,
      output_video_duration: 3,
      video_count: 1,
      SR: 720,
    });
  });

  it('videoedit without a duration follows its source, fractional seconds included', async () => {
    const media = [{ type: 'video', url: 'https://example.com/clips/dance.mp4' }];
    expect(await usageOf({ model: 'wan2.7-videoedit', input: { media } })).toStrictEqual({
      duration: 10.28,
      input_video_duration: 5.14,
      output_video_duration: 5.14,
      video_count: 1,
      SR: 1080,
    });
  });

  it('omits orig_prompt when the submit had no prompt', async () => {
    const reply = await sim.submit({ model: 'wan2.7-i2v', input: { media: [{ type: 'first_frame', url: 'https://example.com/a.png' }] } });
    const { last } = await sim.waitFor(reply.body.output.task_id, 'SUCCEEDED');
    expect(Object.keys(last.body.output)).toEqual(['task_id', 'task_status', 'submit_time', 'scheduled_time', 'end_time', 'video_url']);
  });
});
