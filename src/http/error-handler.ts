// One error handler for the whole API. Errors are AppErrors by the time they are rendered; the
// route family decides the envelope: OpenAI's on the routes OpenAI's clients call (/v1/videos, and
// the model list and balance that client tools read), EasyRouter's everywhere else.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { AppError, errorCodes } from '../lib/errors.ts';

/** What a 503 tells the client to wait before trying again. */
export const RETRY_AFTER_S = 2;

// /v1/videos*, /v1/models*, and /v1/dashboard/* with the unversioned /dashboard/* new-api also serves.
const OPENAI_ROUTE = /^\/(?:v1\/(?:videos|models)(?:[/?]|$)|(?:v1\/)?dashboard\/)/;

/** Whether a URL belongs to the routes that answer errors in OpenAI's `{error}` shape. */
export const isOpenAIRoute = (url: string): boolean => OPENAI_ROUTE.test(url);

export function renderError(url: string, error: AppError): object {
  if (isOpenAIRoute(url)) {
    return {
      error: { message: error.message, type: errorCodes[error.code].openaiType, param: error.param, code: error.code },
    };
  }
  return { code: error.code, message: error.message, data: null };
}

export interface BodyLimits {
  bodyLimit: number;
  uploadLimit: number;
}

/** Maps anything thrown while serving a request to the AppError the client should see. */
export function toAppError(error: FastifyError | AppError | Error, { bodyLimit, uploadLimit }: BodyLimits): AppError {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const first = error.validation[0];
    const path = first?.instancePath.replace(/^\//, '').replaceAll('/', '.') || 'request body';
    const where = 'validationContext' in error && error.validationContext !== 'body' ? `${String(error.validationContext)} ` : '';
    return new AppError('invalid_request', `${where}${path}: ${first?.message ?? 'invalid value'}`, path);
  }
  switch ((error as FastifyError).code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('invalid_request', 'request body is not valid JSON; send a JSON object');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_request', 'request body is empty; send a JSON object');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', `request body is larger than the ${bodyLimit}-byte limit`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', 'unsupported Content-Type; send the body as application/json or multipart/form-data');
    case 'FST_REQ_FILE_TOO_LARGE':
      return new AppError('payload_too_large', `input_reference is larger than the ${uploadLimit}-byte limit`, 'input_reference');
    case 'FST_FILES_LIMIT':
      return new AppError('invalid_request', 'send at most one file, as input_reference', 'input_reference');
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new AppError('payload_too_large', 'the form has too many fields');
    case 'FST_PROTO_VIOLATION':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_MP_PREMATURE_CLOSE':
      return new AppError('invalid_request', `the multipart/form-data body could not be read: ${error.message}`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('invalid_request', 'Content-Length does not match the request body');
  }
  const status = (error as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) return new AppError('invalid_request', error.message);
  if (isDatabaseUnavailable(error)) {
    return new AppError('unavailable', `the database is unavailable or overloaded; retry in ${RETRY_AFTER_S} s (an Idempotency-Key makes the retry of a create safe)`);
  }
  return new AppError('internal_error', 'internal error; the request id in x-request-id identifies it in the logs');
}

export function registerErrorHandlers(app: FastifyInstance, limits: BodyLimits): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const appError = toAppError(error, limits);
    if (appError.code === 'unavailable') {
      request.log.warn({ err: error }, 'request refused: a dependency is unavailable');
      reply.header('retry-after', String(RETRY_AFTER_S));
      if (request.method === 'POST') reply.header('x-should-retry', 'false');
    } else if (appError.status >= 500) {
      request.log.error({ err: error }, 'request failed');
      // OpenAI's SDKs retry a failed POST, which after a create could charge for a second task;
      // a client that wants a safe retry sends an Idempotency-Key.
      if (request.method === 'POST') reply.header('x-should-retry', 'false');
    } else {
      request.log.info({ code: appError.code, message: appError.message }, 'request rejected');
      // The OpenAI SDKs retry a 409; this gateway's conflicts (a task already running or ended)
      // cannot be resolved by asking again.
      if (appError.status === 409) reply.header('x-should-retry', 'false');
    }
    return reply.status(appError.status).send(renderError(request.url, appError));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new AppError('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`);
    return reply.status(404).send(renderError(request.url, error));
  });
}
