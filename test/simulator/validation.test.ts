// The submit body checks, model by model, and the messages they answer with.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startSimulator } from './harness.ts';

let sim: Harness;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());

const IMAGE = 'https://example.com/a.png';
const VIDEO = 'https://example.com/clips/role2.mp4';
const AUDIO = 'https://example.com/voice.mp3';
const media = (...items: [string, string][]) => items.map(([type, url]) => ({ type, url }));
const body = (model: string, input: Record<string, unknown>, parameters: Record<string, unknown> = {}) => ({ model, input, parameters });

const rejected: [string, unknown, string][] = [
  // envelope
  ['no model', { input: { prompt: 'x' } }, 'Required parameter "model" missing from request.'],
  ['an unknown model', body('wan2.6-t2v', { prompt: 'x' }), 'Model not exist.'],
  ['a model with a bad suffix', body('wan2.7-t2v-turbo', { prompt: 'x' }), 'Model not exist.'],
  ['a model that is not a string', body(7 as unknown as string, { prompt: 'x' }), 'Model not exist.'],
  ['no input', { model: 'wan2.7-t2v' }, 'Required input parameter missing from request.'],
  ['parameters that are not an object', { model: 'wan2.7-t2v', input: { prompt: 'x' }, parameters: [] }, 'Field parameters must be an object.'],
  // prompt
  ['t2v without a prompt', body('wan2.7-t2v', {}), 'Field required: input.prompt'],
  ['t2v with a blank prompt', body('wan2.7-t2v', { prompt: '  ' }), 'Field required: input.prompt'],
  ['r2v without a prompt', body('wan2.7-r2v', { media: media(['reference_image', IMAGE]) }), 'Field required: input.prompt'],
  ['a prompt that is not a string', body('wan2.7-t2v', { prompt: 5 }), 'Field input.prompt must be a string.'],
  ['a negative_prompt that is not a string', body('wan2.7-t2v', { prompt: 'x', negative_prompt: {} }), 'Field input.negative_prompt must be a string.'],
  ['t2v with a non-http audio_url', body('wan2.7-t2v', { prompt: 'x', audio_url: 'ftp://a/b.mp3' }), 'The url of input.audio_url is invalid; it must be an http(s) URL.'],
  // i2v media
  ['i2v without media', body('wan2.7-i2v', { prompt: 'x' }), 'Field required: input.media'],
  ['media that is not an array', body('wan2.7-i2v', { media: { type: 'first_frame', url: IMAGE } }), 'Field input.media must be an array.'],
  ['a media item that is not an object', body('wan2.7-i2v', { media: [IMAGE] }), 'Field input.media[0] must be an object.'],
  ['a media item without type', body('wan2.7-i2v', { media: [{ url: IMAGE }] }), 'Field required: input.media[0].type'],
  ['a media item without url', body('wan2.7-i2v', { media: [{ type: 'first_frame' }] }), 'Field required: input.media[0].url'],
  ['i2v without first_frame', body('wan2.7-i2v', { media: media(['last_frame', IMAGE]) }), 'Model wan2.7-i2v requires a media item of type first_frame.'],
  ['i2v with driving_audio only', body('wan2.7-i2v', { media: media(['driving_audio', AUDIO]) }), 'Model wan2.7-i2v requires a media item of type first_frame.'],
  [
    'i2v with two first frames',
    body('wan2.7-i2v', { media: media(['first_frame', IMAGE], ['first_frame', IMAGE]) }),
    'Model wan2.7-i2v accepts at most 1 media item(s) of type first_frame, got 2.',
  ],
  [
    'i2v with two driving audios',
    body('wan2.7-i2v', { media: media(['first_frame', IMAGE], ['driving_audio', AUDIO], ['driving_audio', AUDIO]) }),
    'Model wan2.7-i2v accepts at most 1 media item(s) of type driving_audio, got 2.',
  ],
  ['i2v with a reference image', body('wan2.7-i2v', { media: media(['first_frame', IMAGE], ['reference_image', IMAGE]) }), 'Media type "reference_image" is not supported by model wan2.7-i2v.'],
  ['i2v with a ratio', body('wan2.7-i2v', { media: media(['first_frame', IMAGE]) }, { ratio: '16:9' }), 'Model wan2.7-i2v does not support the ratio parameter; the output follows the first frame.'],
  [
    'an image url that is neither http(s) nor data:image',
    body('wan2.7-i2v', { media: media(['first_frame', 'oss://dashscope-instant/a.png']) }),
    'The url of input.media[0] is invalid; it must be an http(s) URL or a data:image/...;base64 URI.',
  ],
  [
    'a data: URI for audio',
    body('wan2.7-i2v', { media: media(['first_frame', IMAGE], ['driving_audio', 'data:audio/mp3;base64,AAAA']) }),
    'The url of input.media[1] is invalid; it must be an http(s) URL.',
  ],
  // r2v media
  ['r2v without references', body('wan2.7-r2v', { prompt: 'x', media: media(['first_frame', IMAGE]) }), 'Model wan2.7-r2v requires at least one media item of type reference_image or reference_video.'],
  [
    'r2v with ten reference images',
    body('wan2.7-r2v', { prompt: 'x', media: media(...Array.from({ length: 10 }, (): [string, string] => ['reference_image', IMAGE])) }),
    'Model wan2.7-r2v accepts at most 9 media item(s) of type reference_image, got 10.',
  ],
  [
    'r2v with more than nine references in all',
    body('wan2.7-r2v', { prompt: 'x', media: media(...Array.from({ length: 8 }, (): [string, string] => ['reference_image', IMAGE]), ['reference_video', VIDEO], ['reference_video', VIDEO]) }),
    'Model wan2.7-r2v accepts at most 9 reference_image and reference_video items in total, got 10.',
  ],
  ['r2v with a video item', body('wan2.7-r2v', { prompt: 'x', media: media(['video', VIDEO]) }), 'Media type "video" is not supported by model wan2.7-r2v.'],
  [
    'r2v over 10 s with a reference video',
    body('wan2.7-r2v', { prompt: 'x', media: media(['reference_video', VIDEO]) }, { duration: 11 }),
    'The duration must be an integer between 2 and 10 when a reference_video is provided.',
  ],
  // videoedit media
  ['videoedit without a video', body('wan2.7-videoedit', { media: media(['reference_image', IMAGE]) }), 'Model wan2.7-videoedit requires a media item of type video.'],
  [
    'videoedit with two videos',
    body('wan2.7-videoedit', { media: media(['video', VIDEO], ['video', VIDEO]) }),
    'Model wan2.7-videoedit accepts at most 1 media item(s) of type video, got 2.',
  ],
  [
    'videoedit with four reference images',
    body('wan2.7-videoedit', { media: media(['video', VIDEO], ['reference_image', IMAGE], ['reference_image', IMAGE], ['reference_image', IMAGE], ['reference_image', IMAGE]) }),
    'Model wan2.7-videoedit accepts at most 3 media item(s) of type reference_image, got 4.',
  ],
  ['videoedit with a data: video', body('wan2.7-videoedit', { media: media(['video', 'data:video/mp4;base64,AAAA']) }), 'The url of input.media[0] is invalid; it must be an http(s) URL.'],
  ['videoedit lasting 1 s', body('wan2.7-videoedit', { media: media(['video', VIDEO]) }, { duration: 1 }), 'The duration must be 0 or an integer between 2 and 10.'],
  ['videoedit lasting 11 s', body('wan2.7-videoedit', { media: media(['video', VIDEO]) }, { duration: 11 }), 'The duration must be 0 or an integer between 2 and 10.'],
  // parameters
  ['resolution 480P', body('wan2.7-t2v', { prompt: 'x' }, { resolution: '480P' }), 'The resolution must be one of 720P, 1080P.'],
  ['resolution in lower case', body('wan2.7-t2v', { prompt: 'x' }, { resolution: '720p' }), 'The resolution must be one of 720P, 1080P.'],
  ['ratio 21:9', body('wan2.7-t2v', { prompt: 'x' }, { ratio: '21:9' }), 'The ratio must be one of 16:9, 9:16, 1:1, 4:3, 3:4.'],
  ['duration 1', body('wan2.7-t2v', { prompt: 'x' }, { duration: 1 }), 'The duration must be an integer between 2 and 15.'],
  ['duration 16', body('wan2.7-t2v', { prompt: 'x' }, { duration: 16 }), 'The duration must be an integer between 2 and 15.'],
  ['duration 5.5', body('wan2.7-t2v', { prompt: 'x' }, { duration: 5.5 }), 'The duration must be an integer between 2 and 15.'],
  ['duration "5"', body('wan2.7-t2v', { prompt: 'x' }, { duration: '5' }), 'The duration must be an integer between 2 and 15.'],
  ['seed -1', body('wan2.7-t2v', { prompt: 'x' }, { seed: -1 }), 'The seed must be an integer between 0 and 2147483647.'],
  ['seed 2^31', body('wan2.7-t2v', { prompt: 'x' }, { seed: 2_147_483_648 }), 'The seed must be an integer between 0 and 2147483647.'],
];

describe('rejected submits', () => {
  it.each(rejected)('%s', async (_name, submitted, message) => {
    const reply = await sim.submit(submitted);
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ code: 'InvalidParameter', message, request_id: reply.headers.get('x-request-id') });
  });

  it('creates no task for them', () => {
    expect(sim.simulator.stats().tasksCreated).toBe(0);
  });
});

const accepted: [string, unknown][] = [
  ['a dated model id', body('wan2.7-t2v-2026-04-25', { prompt: 'x' })],
  ['unknown keys in input and parameters', body('wan2.7-t2v', { prompt: 'x', extend_prompt: true }, { watermark: true, prompt_extend: false, shot_type: 'multi' })],
  ['no parameters at all', { model: 'wan2.7-t2v', input: { prompt: 'x' } }],
  ['nulls for optional fields', body('wan2.7-t2v', { prompt: 'x', negative_prompt: null }, { ratio: null, seed: null, duration: null })],
  ['t2v with an audio_url', body('wan2.7-t2v', { prompt: 'x', audio_url: AUDIO }, { duration: 2, seed: 2_147_483_647 })],
  ['i2v without a prompt', body('wan2.7-i2v', { media: media(['first_frame', IMAGE]) }, { duration: 15 })],
  ['i2v with a base64 first frame', body('wan2.7-i2v', { media: media(['first_frame', 'data:image/png;base64,iVBORw0KGgo=']) })],
  ['i2v first+last frame+audio', body('wan2.7-i2v', { media: media(['first_frame', IMAGE], ['last_frame', IMAGE], ['driving_audio', AUDIO]) })],
  ['i2v first frame+audio', body('wan2.7-i2v', { media: media(['driving_audio', AUDIO], ['first_frame', IMAGE]) })],
  ['r2v with 9 reference images and a first frame', body('wan2.7-r2v', { prompt: 'x', media: media(...Array.from({ length: 9 }, (): [string, string] => ['reference_image', IMAGE]), ['first_frame', IMAGE]) })],
  ['r2v with only a reference video, 10 s', body('wan2.7-r2v', { prompt: 'x', media: media(['reference_video', VIDEO]) }, { duration: 10 })],
  ['r2v with images only, 15 s', body('wan2.7-r2v', { prompt: 'x', media: media(['reference_image', IMAGE]) }, { duration: 15, ratio: '3:4' })],
  ['videoedit with duration 0', body('wan2.7-videoedit', { media: media(['video', VIDEO]) }, { duration: 0, ratio: '1:1' })],
  ['videoedit with 3 reference images', body('wan2.7-videoedit', { media: media(['video', VIDEO], ['reference_image', IMAGE], ['reference_image', IMAGE], ['reference_image', IMAGE]) })],
  ['t2v with media (not a t2v field, so ignored)', body('wan2.7-t2v', { prompt: 'x', media: 'anything' })],
];

describe('accepted submits', () => {
  it.each(accepted)('%s', async (_name, submitted) => {
    const reply = await sim.submit(submitted);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.output.task_status).toBe('PENDING');
  });
});

describe('the prompt length', () => {
  it('is cut to 5000 characters, counting characters rather than UTF-16 units', async () => {
    const prompt = '猫'.repeat(4999) + '🐱🐱' + 'tail';
    const reply = await sim.submit(body('wan2.7-t2v', { prompt }, { duration: 2 }));
    expect(reply.status).toBe(200);
    const { last } = await sim.waitFor(reply.body.output.task_id, 'SUCCEEDED');
    expect(last.body.output.orig_prompt).toBe('猫'.repeat(4999) + '🐱');
  });
});
