// OpenAI's SDKs send /v1/videos creates as multipart/form-data (always, in recent versions): text
// parts for the fields, possibly an input_reference image file (of any declared type, often
// application/octet-stream), and nested objects flattened as `input_reference[image_url]`. This
// turns such a request into the same body a JSON create has, so one schema validates both. An
// uploaded image is only held here: the task service stores it once the request has been
// validated and priced and the customer can pay for it.
import '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AppError, badRequest } from '../../lib/errors.ts';
import { type ImageFile, imageFile } from './images.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The input_reference image file sent with the request. */
    uploadedFile?: ImageFile;
  }
}

// Text fields hold a prompt (at most 5,000 characters), ids, numbers and URLs: 64 KiB is ample,
// and images belong in the file part. The create takes fewer than twenty fields; a form with
// bracketed media lists still fits in 64.
export const FORM_FIELD_BYTES = 64 * 1024;
export const FORM_FIELDS = 64;

export interface MultipartLimits {
  uploadLimitBytes: number;
}

// metadata fields that are numbers in JSON arrive as text in a form.
const NUMERIC_FIELDS = new Set(['metadata.seed']);

export function makeMultipartBody(limits: MultipartLimits) {
  return async function multipartBody(request: FastifyRequest): Promise<void> {
    if (!request.isMultipart()) return;
    const body: Record<string, unknown> = {};
    let upload: Buffer | undefined;
    const parts = request.parts({ limits: { fileSize: limits.uploadLimitBytes, files: 1, fields: FORM_FIELDS, fieldSize: FORM_FIELD_BYTES, parts: FORM_FIELDS + 1 } });
    try {
      for await (const part of parts) {
        if (part.type === 'file') {
          if (part.fieldname !== 'input_reference') {
            throw badRequest(`unexpected file in form field "${part.fieldname}": only input_reference takes a file`, part.fieldname);
          }
          upload = await part.toBuffer();
        } else {
          if (part.fieldnameTruncated) throw badRequest(`a form field name is too long: "${part.fieldname.slice(0, 40)}..."`);
          if (part.valueTruncated) {
            throw new AppError('payload_too_large', `form field ${part.fieldname} is larger than the ${FORM_FIELD_BYTES}-byte limit of a text field; send images as the input_reference file`, part.fieldname);
          }
          // A part declared application/json arrives parsed.
          setField(body, part.fieldname, typeof part.value === 'string' ? part.value : JSON.stringify(part.value));
        }
      }
    } catch (err) {
      throw asFormError(err);
    }
    if (upload) {
      const image = imageFile(upload);
      if (!image) throw badRequest('input_reference must be a PNG, JPEG, WEBP or BMP image', 'input_reference');
      request.uploadedFile = image;
    }
    request.body = body;
  };
}

// The multipart plugin's own errors carry a code the error handler knows; the parser underneath
// (busboy) throws plain errors for a body that breaks off or lacks its boundary.
function asFormError(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') {
    return new AppError('payload_too_large', `the form has too many fields: at most ${FORM_FIELDS} text fields and one input_reference file`);
  }
  if (err instanceof AppError || !(err instanceof Error) || 'code' in err) return err;
  return badRequest(`the multipart/form-data body could not be read: ${err.message}`);
}

/** Sets `a[b][c]`-style (or plain) form field names as nested values; `metadata` may be JSON. */
function setField(body: Record<string, unknown>, name: string, value: string): void {
  const path = name.match(/[^[\]]+|\[\]/g) ?? [];
  if (path.length === 0 || path.some((segment) => segment === '__proto__' || segment === 'constructor' || segment === 'prototype')) {
    throw badRequest(`form field name "${name}" is not allowed`);
  }
  if (path.length === 1 && name === 'metadata') {
    body.metadata = parseJsonObject(value, 'metadata');
    return;
  }
  let target: Record<string, unknown> = body;
  for (const [i, segment] of path.entries()) {
    const last = i === path.length - 1;
    const next = path[i + 1];
    if (segment === '[]' || /^\d+$/.test(segment)) continue;
    if (last || next === '[]' || /^\d+$/.test(next ?? '')) {
      const parsed = NUMERIC_FIELDS.has(path.join('.')) && /^\d+$/.test(value) ? Number(value) : value;
      if (last) target[segment] = parsed;
      else target[segment] = [...((target[segment] as unknown[] | undefined) ?? []), parsed];
      return;
    }
    const child = target[segment];
    target = (child && typeof child === 'object' ? child : (target[segment] = {})) as Record<string, unknown>;
  }
}

function parseJsonObject(text: string, field: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw badRequest(`${field} must be a JSON object`, field);
}
