// OpenAI's SDKs send /v1/videos creates as multipart/form-data (always, in recent versions): text
// parts for the fields, possibly an input_reference image file (of any declared type, often
// application/octet-stream), and nested objects flattened as `input_reference[image_url]`. This
// turns such a request into the same body a JSON create has, so one schema validates both; an
// uploaded image is kept in storage and handed on as a gateway-made media reference.
import '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AppError, badRequest } from '../../lib/errors.ts';
import { sha256Hex } from '../../lib/ids.ts';
import type { Storage } from '../../storage/storage.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** upload://<storage key> of an input_reference file sent with the request. */
    uploadedReference?: string;
  }
}

export const UPLOAD_SCHEME = 'upload://';

// What an image file is, by its first bytes: clients label uploads unreliably.
const IMAGE_SIGNATURES: { type: string; ext: string; test: (b: Buffer) => boolean }[] = [
  { type: 'image/png', ext: 'png', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { type: 'image/jpeg', ext: 'jpg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/webp', ext: 'webp', test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
  { type: 'image/bmp', ext: 'bmp', test: (b) => b.subarray(0, 2).toString('latin1') === 'BM' },
];

export interface MultipartLimits {
  uploadLimitBytes: number;
  fieldLimitBytes: number;
}

// metadata fields that are numbers in JSON arrive as text in a form.
const NUMERIC_FIELDS = new Set(['metadata.seed']);

export function makeMultipartBody(storage: Storage, limits: MultipartLimits) {
  return async function multipartBody(request: FastifyRequest): Promise<void> {
    if (!request.isMultipart()) return;
    const body: Record<string, unknown> = {};
    let upload: Buffer | undefined;
    const parts = request.parts({ limits: { fileSize: limits.uploadLimitBytes, files: 1, fields: 100, fieldSize: limits.fieldLimitBytes } });
    try {
      for await (const part of parts) {
        if (part.type === 'file') {
          if (part.fieldname !== 'input_reference') {
            throw badRequest(`unexpected file in form field "${part.fieldname}": only input_reference takes a file`, part.fieldname);
          }
          upload = await part.toBuffer();
        } else {
          setField(body, part.fieldname, String(part.value));
        }
      }
    } catch (err) {
      throw asFormError(err);
    }
    // Stored only once the whole form has been read: an error from storage is ours, not the client's.
    if (upload) request.uploadedReference = await storeImage(storage, upload);
    request.body = body;
  };
}

// The multipart plugin's own errors carry a code the error handler knows; the parser underneath
// (busboy) throws plain errors for a body that breaks off or lacks its boundary.
function asFormError(err: unknown): unknown {
  if (err instanceof AppError || !(err instanceof Error) || 'code' in err) return err;
  return badRequest(`the multipart/form-data body could not be read: ${err.message}`);
}

async function storeImage(storage: Storage, bytes: Buffer): Promise<string> {
  const kind = IMAGE_SIGNATURES.find((s) => s.test(bytes));
  if (!kind) throw badRequest('input_reference must be a PNG, JPEG, WEBP or BMP image', 'input_reference');
  // Named by content: the same image uploaded twice is stored once.
  const key = `uploads/${sha256Hex(bytes)}.${kind.ext}`;
  await storage.put(key, bytes, kind.type);
  return `${UPLOAD_SCHEME}${key}`;
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
