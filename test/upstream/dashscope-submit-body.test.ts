// The DashScope body built for each wan2.7 model, from the spec's own examples (section 4 of
// easyrouter-wan2.7-api.txt) run through the gateway's real normalization.
import { describe, expect, it } from 'vitest';
import type { Capability } from '../../src/modules/tasks/models.ts';
import { type NormalizedRequest, normalizeRequest } from '../../src/modules/tasks/normalize-request.ts';
import type { SubmitBody } from '../../src/modules/tasks/submit.schema.ts';
import { buildSubmitBody } from '../../src/upstream/dashscope-submit-body.ts';

const normalized = (body: SubmitBody, capability: Capability): NormalizedRequest =>
  normalizeRequest(body, body.model ?? `wan2.7-${capability}`, capability);

const T2V_PROMPT = 'A small cat running under moonlight, fur gently flowing in the wind, cinematic slow motion';
const I2V_PROMPT = 'Realistic style, a small black cat curiously looks up at the sky, camera slowly zooms in';
const R2V_PROMPT = '3D cartoon adventure movie style, chibi character with refined textures, [Image 1] character running joyfully';
const EDIT_PROMPT = 'Replace the outfit of the girl in the video with the clothing shown in the reference image';
const FIRST_FRAME = 'https://wanx.alicdn.com/material/20250318/first_frame.png';
const R2V_IMAGE = 'https://help-static-aliyun-doc.aliyuncs.com/file-manage-files/zh-CN/20260403/wgjaxy/banana_storyboard_00000020.png';
const EDIT_VIDEO = 'https://help-static-aliyun-doc.aliyuncs.com/file-manage-files/zh-CN/20260403/nlspwm/T2VA_22.mp4';
const EDIT_IMAGE = 'https://help-static-aliyun-doc.aliyuncs.com/file-manage-files/zh-CN/20260402/fwjpqf/wan2.7-videoedit-change-clothes.png';

const spec = {
  t2v: { model: 'wan2.7-t2v', prompt: T2V_PROMPT, resolution: '720P', duration: 5, metadata: { ratio: '16:9', seed: 42 } },
  i2v: { model: 'wan2.7-i2v', prompt: I2V_PROMPT, resolution: '720P', duration: 5, input_reference: FIRST_FRAME },
  r2v: {
    model: 'wan2.7-r2v',
    prompt: R2V_PROMPT,
    resolution: '720P',
    duration: 5,
    metadata: { ratio: '16:9', input: { media: [{ type: 'reference_image', url: R2V_IMAGE }] } },
  },
  videoedit: { model: 'wan2.7-videoedit', prompt: EDIT_PROMPT, resolution: '720P', images: [EDIT_VIDEO, EDIT_IMAGE] },
} satisfies Record<Capability, SubmitBody>;

describe('buildSubmitBody on the spec examples', () => {
  it('t2v: prompt only in input; resolution, duration, ratio and seed in parameters', () => {
    expect(buildSubmitBody(normalized(spec.t2v, 't2v'), 'wan2.7-t2v')).toStrictEqual({
      model: 'wan2.7-t2v',
      input: { prompt: T2V_PROMPT },
      parameters: { resolution: '720P', duration: 5, ratio: '16:9', seed: 42 },
    });
  });

  it('i2v: input_reference becomes the first_frame media item; no ratio', () => {
    expect(buildSubmitBody(normalized(spec.i2v, 'i2v'), 'wan2.7-i2v')).toStrictEqual({
      model: 'wan2.7-i2v',
      input: { prompt: I2V_PROMPT, media: [{ type: 'first_frame', url: FIRST_FRAME }] },
      parameters: { resolution: '720P', duration: 5 },
    });
  });

  it('r2v: reference images as given, with ratio', () => {
    expect(buildSubmitBody(normalized(spec.r2v, 'r2v'), 'wan2.7-r2v')).toStrictEqual({
      model: 'wan2.7-r2v',
      input: { prompt: R2V_PROMPT, media: [{ type: 'reference_image', url: R2V_IMAGE }] },
      parameters: { resolution: '720P', duration: 5, ratio: '16:9' },
    });
  });

  it('videoedit: source video then reference image; no duration, so the output follows the source', () => {
    expect(buildSubmitBody(normalized(spec.videoedit, 'videoedit'), 'wan2.7-videoedit')).toStrictEqual({
      model: 'wan2.7-videoedit',
      input: {
        prompt: EDIT_PROMPT,
        media: [
          { type: 'video', url: EDIT_VIDEO },
          { type: 'reference_image', url: EDIT_IMAGE },
        ],
      },
      parameters: { resolution: '720P' },
    });
  });

  it('sends the upstream model name it is given (a channel mapping or a dated snapshot)', () => {
    expect(buildSubmitBody(normalized(spec.t2v, 't2v'), 'wan2.7-t2v-2026-04-25').model).toBe('wan2.7-t2v-2026-04-25');
  });
});

describe('buildSubmitBody field rules', () => {
  it('always sends the resolution, because DashScope would otherwise default to 1080P', () => {
    const { resolution: _resolution, ...noResolution } = spec.t2v;
    expect(buildSubmitBody(normalized(noResolution, 't2v'), 'wan2.7-t2v').parameters.resolution).toBe('720P');
    expect(buildSubmitBody(normalized({ ...spec.t2v, resolution: '1080p' }, 't2v'), 'wan2.7-t2v').parameters.resolution).toBe('1080P');
  });

  it('sends the default duration of 5 when none was asked for', () => {
    const { duration: _duration, ...noDuration } = spec.t2v;
    expect(buildSubmitBody(normalized(noDuration, 't2v'), 'wan2.7-t2v').parameters.duration).toBe(5);
  });

  it('leaves out prompt, ratio and seed when they are not set, instead of sending nulls', () => {
    const body = buildSubmitBody(normalized({ model: 'wan2.7-i2v', input_reference: FIRST_FRAME }, 'i2v'), 'wan2.7-i2v');
    expect(body).toStrictEqual({
      model: 'wan2.7-i2v',
      input: { media: [{ type: 'first_frame', url: FIRST_FRAME }] },
      parameters: { resolution: '720P', duration: 5 },
    });
    expect(JSON.stringify(body)).not.toContain('null');
  });

  it('puts negative_prompt in input', () => {
    const body = buildSubmitBody(normalized({ ...spec.t2v, metadata: { negative_prompt: 'flowers' } }, 't2v'), 'wan2.7-t2v');
    expect(body.input).toStrictEqual({ prompt: T2V_PROMPT, negative_prompt: 'flowers' });
  });

  it('keeps media extras such as reference_voice, and media order', () => {
    const media = [
      { type: 'reference_image', url: 'https://cdn.test/girl.jpg', reference_voice: 'https://cdn.test/girl-voice.mp3' },
      { type: 'reference_video', url: 'https://cdn.test/role2.mp4', reference_voice: 'https://cdn.test/boy-voice.mp3' },
      { type: 'first_frame', url: 'https://cdn.test/start.png' },
    ];
    const body = buildSubmitBody(normalized({ ...spec.r2v, metadata: { input: { media } } }, 'r2v'), 'wan2.7-r2v');
    expect(body.input.media).toStrictEqual(media);
  });

  it('passes extra input and parameters fields through, with metadata extras landing in parameters', () => {
    const request = normalized(
      {
        ...spec.t2v,
        metadata: {
          input: { audio_url: 'https://cdn.test/a.mp3' },
          parameters: { prompt_extend: false },
          watermark: true,
        },
      },
      't2v',
    );
    expect(buildSubmitBody(request, 'wan2.7-t2v')).toStrictEqual({
      model: 'wan2.7-t2v',
      input: { prompt: T2V_PROMPT, audio_url: 'https://cdn.test/a.mp3' },
      parameters: { resolution: '720P', duration: 5, prompt_extend: false, watermark: true },
    });
  });

  it("lets the gateway's own values win over pass-through keys of the same name (what was charged is what is asked for)", () => {
    const request = normalized(
      {
        ...spec.t2v,
        negative_prompt: 'rain',
        metadata: {
          ratio: '1:1',
          seed: 7,
          input: { prompt: 'smuggled prompt', negative_prompt: 'smuggled' },
          parameters: { resolution: '1080P', duration: 15, ratio: '9:16', seed: 1 },
        },
      },
      't2v',
    );
    expect(buildSubmitBody(request, 'wan2.7-t2v')).toStrictEqual({
      model: 'wan2.7-t2v',
      input: { prompt: T2V_PROMPT, negative_prompt: 'rain' },
      parameters: { resolution: '720P', duration: 5, ratio: '1:1', seed: 7 },
    });
  });

  it('keeps a pass-through key where the gateway has no value: videoedit truncation and audio_setting', () => {
    const request = normalized({ ...spec.videoedit, metadata: { parameters: { duration: 3 }, audio_setting: 'origin' } }, 'videoedit');
    expect(buildSubmitBody(request, 'wan2.7-videoedit').parameters).toStrictEqual({ resolution: '720P', duration: 3, audio_setting: 'origin' });
  });

  it('keeps a pass-through "__proto__" key as plain data', () => {
    const request = normalized({ ...spec.t2v, metadata: JSON.parse('{"parameters": {"__proto__": {"polluted": true}}}') }, 't2v');
    const { parameters } = buildSubmitBody(request, 'wan2.7-t2v');
    expect(Object.getPrototypeOf(parameters)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(parameters))).toStrictEqual(
      JSON.parse('{"resolution": "720P", "duration": 5, "__proto__": {"polluted": true}}'),
    );
  });

  it('neither changes the request nor shares its media objects with the body', () => {
    const request = normalized({ ...spec.r2v, metadata: { input: { media: [{ type: 'reference_image', url: R2V_IMAGE, reference_voice: 'https://cdn.test/v.mp3' }] } } }, 'r2v');
    const before = structuredClone(request);
    const body = buildSubmitBody(deepFreeze(request), 'wan2.7-r2v');
    expect(request).toStrictEqual(before);
    (body.input.media as Record<string, unknown>[])[0]!.url = 'https://changed.test/x.png';
    expect(request.media[0]!.url).toBe(R2V_IMAGE);
  });
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
