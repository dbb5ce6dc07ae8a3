// Submit bodies at the edges of the rules (normalize-request.ts, media.ts): what a submit refuses
// with 400 and what it takes. Shared by the tests of everything that checks a body as a submit does.
import { specExamples } from './factories.ts';

const t2v = specExamples.t2v;
const i2v = specExamples.i2v;
const r2v = specExamples.r2v;
const edit = specExamples.videoedit;
const img = (n: number) => ({ type: 'reference_image', url: `https://cdn.test/ref${n}.png` });
export const longText = (n: number) => 'x'.repeat(n);

/** Bodies a submit refuses with 400: [name, body, the exact message or a pattern of it]. */
export const rejectedBodies: [string, unknown, string | RegExp][] = [
  ['missing model', { prompt: 'a' }, 'model is required'],
  ['unknown model', { model: 'wan2.7-t2v-turbo-x', prompt: 'a' }, 'unknown model: wan2.7-t2v-turbo-x'],
  ['model of another family', { model: 'sora-2', prompt: 'a' }, 'unknown model: sora-2'],
  ['missing prompt', { model: 'wan2.7-t2v' }, 'prompt is required'],
  ['blank prompt', { model: 'wan2.7-t2v', prompt: '   ' }, 'prompt is required'],
  ['missing prompt on r2v', { ...r2v, prompt: undefined }, 'prompt is required'],
  ['missing prompt on videoedit', { ...edit, prompt: undefined }, 'prompt is required'],
  ['prompt over 5000 characters', { ...t2v, prompt: longText(5001) }, /prompt is 5001 characters long; the limit is 5000/],
  ['negative_prompt over 500 characters', { ...t2v, metadata: { negative_prompt: longText(501) } }, /negative_prompt is 501 characters long; the limit is 500/],
  ['prompt of the wrong type', { ...t2v, prompt: 42 }, /^prompt: .*expected string/],
  ['resolution not a tier', { ...t2v, resolution: '4K' }, 'resolution must be 720P or 1080P, got "4K"'],
  ['size not a tier', { ...t2v, resolution: undefined, size: '480P' }, 'size must be 720P, 1080P or a frame size such as 1280x720, got "480P"'],
  ['size neither a tier nor a frame size', { ...t2v, resolution: undefined, size: '1280*720' }, 'size must be 720P, 1080P or a frame size such as 1280x720, got "1280*720"'],
  ['duration below 2', { ...t2v, duration: 1 }, /^duration must be an integer from 2 to 15 seconds/],
  ['duration above 15', { ...t2v, duration: 16 }, /^duration must be an integer from 2 to 15 seconds/],
  ['fractional duration', { ...t2v, duration: 5.5 }, /^duration must be an integer/],
  ['duration as words', { ...t2v, duration: 'five' }, /^duration must be an integer/],
  ['duration of the wrong type', { ...t2v, duration: [5] }, /^duration: /],
  ['r2v with a reference video over 10 s', { ...r2v, duration: 11, metadata: { input: { media: [img(1), { type: 'reference_video', url: 'https://cdn.test/a.mp4' }] } } }, /from 2 to 10 seconds \(the limit with a reference video\)/],
  ['ratio not in the list', { ...t2v, metadata: { ratio: '21:9' } }, 'metadata.ratio must be one of 16:9, 9:16, 1:1, 4:3, 3:4, got "21:9"'],
  ['ratio on i2v', { ...i2v, metadata: { ratio: '16:9' } }, /^metadata.ratio is not supported by wan2.7-i2v/],
  ['negative seed', { ...t2v, metadata: { seed: -1 } }, 'metadata.seed must be an integer from 0 to 2147483647, got -1'],
  ['seed above the range', { ...t2v, metadata: { seed: 2147483648 } }, /^metadata.seed must be an integer from 0 to 2147483647/],
  ['seed as a string', { ...t2v, metadata: { seed: '42' } }, /^metadata.seed: /],
  ['metadata not an object', { ...t2v, metadata: 'ratio=16:9' }, /^metadata: /],
  ['i2v without a first frame', { ...i2v, input_reference: undefined }, /^wan2.7-i2v needs a first-frame image/],
  ['i2v with two first frames', { ...i2v, metadata: { input: { media: [{ type: 'first_frame', url: 'https://cdn.test/b.png' }] } } }, /exactly one first frame/],
  ['i2v first frame that is a video', { ...i2v, input_reference: 'https://cdn.test/clip.mp4' }, /input_reference looks like a video, but first_frame needs an image/],
  ['r2v without reference images', { ...r2v, metadata: { ratio: '16:9' } }, /^wan2.7-r2v needs 1–9 reference images/],
  ['r2v with ten reference images', { ...r2v, metadata: { input: { media: Array.from({ length: 10 }, (_, i) => img(i)) } } }, 'wan2.7-r2v takes at most 9 reference_image items, got 10'],
  ['videoedit with an empty images array', { ...edit, images: [] }, 'images is required for videoedit'],
  ['videoedit without images', { ...edit, images: undefined }, 'images is required for videoedit'],
  ['videoedit whose images[0] is an image', { ...edit, images: ['https://cdn.test/a.png'] }, 'images[0] must be the source video (an MP4 or MOV URL) for wan2.7-videoedit'],
  ['videoedit with an AVI source', { ...edit, images: undefined, metadata: { input: { media: [{ type: 'video', url: 'https://cdn.test/a.avi' }] } } }, 'metadata.input.media[0].url must be an MP4 or MOV video'],
  ['videoedit with four reference images', { ...edit, images: [edit.images[0], ...[1, 2, 3, 4].map((n) => `https://cdn.test/${n}.jpg`)] }, 'wan2.7-videoedit takes at most 3 reference_image items, got 4'],
  ['videoedit with two videos', { ...edit, images: [edit.images[0], 'https://cdn.test/b.mov'] }, /^images\[1\] is a video, which wan2.7-videoedit does not take there/],
  ['images entry whose type cannot be told', { ...edit, images: [edit.images[0], 'https://cdn.test/picture'] }, /^cannot tell what images\[1\] is from its URL/],
  ['t2v with media', { ...t2v, images: ['https://cdn.test/a.png'] }, /^images\[0\] is an image, which wan2.7-t2v does not take there/],
  ['input_reference on t2v', { ...t2v, input_reference: 'https://cdn.test/a.png' }, /^input_reference is for wan2.7-i2v/],
  ['an unknown media type', { ...r2v, metadata: { input: { media: [{ type: 'sketch', url: 'https://cdn.test/a.png' }] } } }, /^metadata.input.media\[0\].type must be one of/],
  ['a media type the model does not take', { ...r2v, metadata: { input: { media: [img(1), { type: 'video', url: 'https://cdn.test/a.mp4' }] } } }, /^wan2.7-r2v does not take video media/],
  ['a media item without a url', { ...r2v, metadata: { input: { media: [{ type: 'reference_image' }] } } }, /^metadata.input.media.0.url: /],
  ['an ftp URL', { ...i2v, input_reference: 'ftp://cdn.test/a.png' }, /^input_reference must be an http\(s\) URL/],
  ['a URL that is not one', { ...i2v, input_reference: 'not a url' }, /^input_reference must be an http\(s\) URL/],
  ['a javascript: URL', { ...i2v, input_reference: 'javascript:alert(1)' }, /^input_reference must be an http\(s\) URL/],
  ['a data: URI that is not an image', { ...edit, images: ['data:video/mp4;base64,AAAA'] }, /^images\[0\] is a data: URI, which is accepted only as a base64/],
  ['a body that is an array', [t2v], /^request body: .*expected object/],
  ['a body that is a string', 'hello', /^request body: .*expected object/],
  ['a body that is null', null, /^request body: .*expected object/],
];

/** Bodies a submit takes, at the edges of its rules: [name, body]. */
export const acceptedBodies: [string, unknown][] = [
  ['i2v without a prompt', { ...i2v, prompt: undefined }],
  ['a prompt of exactly 5000 characters', { ...t2v, prompt: longText(5000) }],
  ['5000 characters counted as characters, not bytes', { ...t2v, prompt: '猫'.repeat(5000) }],
  ['duration 2 and 15', { ...t2v, duration: 2 }],
  ['duration 15', { ...t2v, duration: 15 }],
  ['duration as a numeric string', { ...t2v, duration: '8' }],
  ['lower-case resolution', { ...t2v, resolution: '1080p' }],
  ['seed 0 and the maximum', { ...t2v, metadata: { seed: 2147483647 } }],
  ['every ratio on r2v', { ...r2v, metadata: { ...r2v.metadata, ratio: '3:4' } }],
  ['nine reference images', { ...r2v, metadata: { input: { media: Array.from({ length: 9 }, (_, i) => img(i)) } } }],
  ['an i2v first frame as a media item', { ...i2v, input_reference: undefined, metadata: { input: { media: [{ type: 'first_frame', url: 'https://cdn.test/f.webp' }] } } }],
  ['an i2v first frame as a data: URI', { ...i2v, input_reference: 'data:image/png;base64,iVBORw0KGgo=' }],
  ['a videoedit source given as a typed media item', { ...edit, images: undefined, metadata: { input: { media: [{ type: 'video', url: 'https://cdn.test/in.MOV' }] } } }],
  ['a signed URL with a query string', { ...edit, images: ['https://cdn.test/in.mp4?Expires=1&Signature=abc', 'https://cdn.test/r.jpeg?x=1'] }],
  ['videoedit ignores duration', { ...edit, duration: 99 }],
  ['unknown top-level fields', { ...t2v, user: 'someone', stream: false }],
];
