// The request body of POST /v1/video/generations and POST /v1/videos. The schema checks shapes
// and types; the rules that depend on the model live in normalize-request.ts.
import { z } from 'zod';

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
    size: z.string().optional().describe('Alias of resolution; resolution wins when both are set'),
    duration: z
      .union([z.number(), z.string()])
      .optional()
      .describe('Seconds, an integer 2–15 (default 5; 2–10 for r2v with a reference video); ignored by videoedit'),
    input_reference: z.string().optional().describe('wan2.7-i2v: URL of the first-frame image'),
    images: z
      .array(z.string())
      .optional()
      .describe('Media URLs typed by extension; for videoedit images[0] is the source video (MP4/MOV), the rest reference images'),
    metadata: submitMetadataSchema.optional(),
  })
  .describe('A video generation task');

export type SubmitBody = z.infer<typeof submitBodySchema>;
