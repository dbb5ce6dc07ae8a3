// What a route's schema adds to the OpenAPI document besides its zod schemas: the error codes it
// can answer (`errors`) and the headers of its successful answers (`responseHeaders`). Both are
// documentation only: errors are rendered by the one error handler, never by a route's schemas.
//
//   schema: {
//     ...,
//     response: { 200: taskSchema },
//     errors: ['invalid_request', 'invalid_api_key', 'not_found'],
//   }
//
// Each code is documented under its status (from src/lib/errors.ts), in the envelope of the
// route's family (OpenAI's where isOpenAIRoute says so, `{code, message, data}` elsewhere), with an example.
// test/openapi/contract.test.ts drives every documented status of every operation.
import { STATUS_CODES } from 'node:http';
import type { FastifySchema } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ErrorCode, errorCodes } from '../lib/errors.ts';
import { isOpenAIRoute } from './error-handler.ts';

/** A code with the table's example, or with an example message that fits the route better. */
export type RouteError = ErrorCode | { code: ErrorCode; example: string; param?: string | null };

export interface ResponseHeader {
  description: string;
  type: 'string' | 'integer';
  enum?: readonly string[];
}

declare module 'fastify' {
  interface FastifySchema {
    /** The error codes (src/lib/errors.ts) this route can answer; see src/http/route-docs.ts. */
    errors?: readonly RouteError[];
    /** Headers of the route's successful answers, by status. */
    responseHeaders?: Readonly<Record<number, Readonly<Record<string, ResponseHeader>>>>;
  }
}

type JsonSchema = Record<string, unknown>;

const fileBody = z.string().meta({ format: 'binary' });

/** The answers of a route that sends a file and honours `Range` (with RANGE_HEADERS). */
export function fileResponses(mediaTypes: readonly string[], what: string) {
  const content = Object.fromEntries(mediaTypes.map((type) => [type, { schema: fileBody }]));
  return {
    200: { description: what, content },
    206: { description: 'The byte range the Range header asked for', content },
    416: z.null().describe('The Range header asks for bytes beyond the end of the file; the body is empty'),
  };
}

export const RANGE_HEADERS: Record<number, Record<string, ResponseHeader>> = {
  206: { 'content-range': { type: 'string', description: 'bytes <first>-<last>/<size>' } },
  416: { 'content-range': { type: 'string', description: 'bytes */<size>' } },
};

function envelopeSchema(openAI: boolean, codes: readonly ErrorCode[]): JsonSchema {
  const code = { type: 'string', enum: codes };
  if (!openAI) {
    return {
      type: 'object',
      properties: { code, message: { type: 'string', description: 'What went wrong and what to fix' }, data: { type: 'null' } },
      required: ['code', 'message', 'data'],
      additionalProperties: false,
    };
  }
  const error = {
    type: 'object',
    properties: {
      message: { type: 'string', description: 'What went wrong and what to fix' },
      type: { type: 'string', enum: [...new Set(codes.map((c) => errorCodes[c].openaiType))] },
      param: { type: ['string', 'null'], description: 'The request field at fault, if any' },
      code,
    },
    required: ['message', 'type', 'param', 'code'],
    additionalProperties: false,
  };
  return { type: 'object', properties: { error }, required: ['error'], additionalProperties: false };
}

function exampleBody(openAI: boolean, error: RouteError): { code: ErrorCode; body: object } {
  const code = typeof error === 'string' ? error : error.code;
  const message = typeof error === 'string' ? errorCodes[code].example.message : error.example;
  const param = typeof error === 'string' ? errorCodes[code].example.param : (error.param ?? null);
  const body = openAI ? { error: { message, type: errorCodes[code].openaiType, param, code } } : { code, message, data: null };
  return { code, body };
}

/** OpenAPI Response objects, by status, for the error codes a route at `url` can answer. */
function errorResponses(url: string, errors: readonly RouteError[]): Record<string, object> {
  const openAI = isOpenAIRoute(url);
  const byStatus = new Map<number, { code: ErrorCode; body: object }[]>();
  for (const error of errors) {
    const example = exampleBody(openAI, error);
    const status = errorCodes[example.code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), example]);
  }
  const responses: Record<string, object> = {};
  for (const [status, examples] of [...byStatus].sort(([a], [b]) => a - b)) {
    const codes = examples.map((e) => e.code);
    responses[status] = {
      description: codes.map((c) => `\`${c}\`: ${errorCodes[c].meaning}`).join('\n\n'),
      content: {
        'application/json': {
          schema: envelopeSchema(openAI, codes),
          examples: Object.fromEntries(examples.map((e) => [e.code, { value: e.body }])),
        },
      },
    };
  }
  return responses;
}

// Fastify names a trailing wildcard `*`; OpenAPI needs a named path parameter.
const documentedUrl = (url: string): string => url.replace(/\/\*$/, '/{path}');

/**
 * @fastify/swagger's transform: the zod schemas become JSON Schemas (fastify-type-provider-zod),
 * then `errors` and `responseHeaders` become responses. `onErrorCodes` hears every documented code.
 */
/**
 * What every route behind an API key can also answer, from the key's own limits (the
 * authenticate hook): its allowed_ips and its rpm_limit. Added wherever a route lists
 * invalid_api_key, so no client route can leave them out.
 */
const KEY_LIMIT_ERRORS: RouteError[] = ['ip_not_allowed', 'rate_limited'];

const withKeyLimits = (errors: readonly RouteError[]): readonly RouteError[] =>
  errors.includes('invalid_api_key') ? [...errors, ...KEY_LIMIT_ERRORS] : errors;

export function makeRouteDocumenter(onErrorCodes: (codes: ErrorCode[]) => void): typeof jsonSchemaTransform {
  return (document) => {
    const { errors: declared = [], responseHeaders = {}, ...schema } = (document.schema ?? {}) as FastifySchema;
    const errors = withKeyLimits(declared);
    const transformed = jsonSchemaTransform({ ...document, schema });
    if (transformed.schema.hide) return transformed;
    const response: Record<string, Record<string, unknown>> = { ...(transformed.schema.response as Record<string, Record<string, unknown>> | undefined) };
    // A response the route's schema does not describe is described by its status ("OK", not "Default Response").
    for (const [status, answer] of Object.entries(response)) {
      if (!answer.description) response[status] = { ...answer, 'x-response-description': STATUS_CODES[status] };
    }
    for (const [status, headers] of Object.entries(responseHeaders)) {
      if (!response[status]) throw new Error(`${document.url}: headers documented for status ${status}, which has no response`);
      response[status] = { ...response[status], headers };
    }
    onErrorCodes(errors.map((e) => (typeof e === 'string' ? e : e.code)));
    return { url: documentedUrl(transformed.url), schema: { ...transformed.schema, response: { ...response, ...errorResponses(document.url, errors) } } };
  };
}
