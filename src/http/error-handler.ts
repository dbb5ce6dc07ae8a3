// One error handler for the whole API. Errors are AppErrors by the time they are rendered; the
// route family decides the envelope: OpenAI's on the routes OpenAI's clients call (/v1/videos, and
// the model list and balance that client tools read), EasyRouter's everywhere else.
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { AppError, badRequest, errorCodes, excerpt } from '../lib/errors.ts';

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
      if (appError.retryAfterS !== null) reply.header('retry-after', String(appError.retryAfterS));
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

/**
 * Fastify's own refusals before any route runs (its `frameworkErrors` option): a URL whose
 * percent-escapes do not decode, or a path parameter longer than the router takes.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0] ?? request.url;
  const appError =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? badRequest(`${excerpt(path, 120)} is too long: a path parameter (an id) is at most 64 characters`)
      : badRequest(`${excerpt(path, 120)} is not a valid URL: a percent-escape in it is broken (% must be followed by two hex digits) or does not encode UTF-8 text`);
  request.log.info({ code: appError.code, message: appError.message }, 'request rejected');
  void reply.status(appError.status).send(renderError(request.url, appError));
}

// What Node's parser attaches to its errors (Fastify's type has only some of it).
type ClientError = ConnectionError & { code?: string; reason?: string };

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (Fastify's `clientErrorHandler`
 * option): malformed request lines or headers, headers over the size limit, requests that take
 * too long to arrive. Answered in the shape of the API the request line names, when it names one.
 */
export function clientErrorHandler(error: ClientError, socket: Socket): void {
  // The client is gone: there is nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // The request target as far as it arrived (a target over the size limit arrives cut): its
  // beginning is all the family of the path needs.
  const packet = error.rawPacket as unknown as Buffer | undefined;
  const target = /^[A-Z]+ (\S+)/.exec(packet?.toString('latin1', 0, 8192) ?? '')?.[1] ?? '/';
  const appError =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new AppError('headers_too_large', `the request headers are larger than the ${maxHeaderSize}-byte limit; send fewer or shorter headers`)
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new AppError('request_timeout', 'the request did not arrive in time; send it again')
        : badRequest(`malformed HTTP request (${error.reason ?? error.message}); check the request line and the headers`);
  const body = JSON.stringify(renderError(target, appError));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${appError.status} ${STATUS_CODES[appError.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
