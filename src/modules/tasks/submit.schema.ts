// The request body of POST /v1/video/generations and POST /v1/videos. The schema checks shapes
// and types; the rules that depend on the model live in normalize-request.ts.
import { z } from 'zod';
import { WEBHOOK_EVENTS } from '../../webhooks/events.ts';

const mediaItem = z
  .looseObject({
    type: z.string().describe('first_frame, last_frame, driving_audio, reference_image, reference_video or video'),
    url: z.string().describe('http(s) URL, or a base64 data: URI for images'),
  })
  .describe('A media input; extra fields (e.g. reference_voice) pass through to DashScope');

export const submitMetadataSchema = z
  .looseObject({
    ratio: z.string().optional().describe('Aspect ratio for t2v, r2v and videoedit: 16:9, 9:16, 1:1, 4:3 or 3:4 (default 16:9)'),
    seed: z.number().optional().describe('Random seed, 0–2147483647'),
    negative_prompt: z.string().optional().describe('What to keep out of the video, up to 500 characters'),
    input: z
      .looseObject({
        media: z.array(mediaItem).optional().describe('Media inputs with explicit types'),
      })
      .optional()
      .describe('Extra DashScope `input` fields; `media` lists typed media inputs'),
    parameters: z.record(z.string(), z.unknown()).optional().describe('Extra DashScope `parameters` fields'),
  })
  .describe('Wan 2.7 parameters; fields not listed here are passed to DashScope `parameters` unchanged');

export const submitBodySchema = z
  .object({
    model: z.string().optional().describe('wan2.7-t2v, wan2.7-i2v, wan2.7-r2v or wan2.7-videoedit'),
    prompt: z.string().optional().describe('Up to 5000 characters; optional for wan2.7-i2v'),
    negative_prompt: z.string().optional().describe('Same as metadata.negative_prompt'),
    resolution: z.string().optional().describe('720P (default) or 1080P'),
    size: z
      .string()
      .optional()
      .describe('Alias of resolution (720P, 1080P; resolution wins), or an OpenAI frame size such as 1280x720, which also sets the aspect ratio'),
    duration: z
      .union([z.number(), z.string()])
      .optional()
      .describe('Seconds, an integer 2–15 (default 5; 2–10 for r2v with a reference video); ignored by videoedit'),
    seconds: z.union([z.number(), z.string()]).optional().describe("OpenAI's name for duration (a string such as \"8\"); duration wins"),
    input_reference: z
      .union([
        z.string(),
        z.object({
          image_url: z.string().optional().describe('URL (or data: URI) of the image'),
          file_id: z.string().optional().describe('Not supported: send the image itself or image_url'),
        }),
      ])
      .optional()
      .describe('wan2.7-i2v: the first-frame image (a URL, or {image_url}); with multipart/form-data also the image file itself'),
    callback_url: z.string().optional().describe("Where the task's events are reported (signed webhooks); defaults to the API key's"),
    webhook_events: z
      .array(z.enum(WEBHOOK_EVENTS))
      .min(1)
      .optional()
      .describe("Which events reach callback_url: any of task.queued (accepted upstream), task.in_progress, task.succeeded, task.failed; defaults to the API key's list, else task.succeeded and task.failed"),
    images: z
      .array(z.string())
      .optional()
      .describe('Media URLs typed by extension; for videoedit images[0] is the source video (MP4/MOV), the rest reference images'),
    metadata: submitMetadataSchema.optional(),
  })
  .describe('A video generation task')
  .meta({
    examples: [
      {
        model: 'wan2.7-t2v',
        prompt: 'A small cat running under moonlight, fur gently flowing in the wind, cinematic slow motion',
        resolution: '720P',
        duration: 5,
        metadata: { ratio: '16:9', seed: 42 },
      },
    ],
  });

export type SubmitBody = z.infer<typeof submitBodySchema>;
