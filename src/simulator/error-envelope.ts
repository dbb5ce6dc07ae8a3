// Every JSON error leaves in DashScope's flat envelope { code, message, request_id }, with the
// request id echoed in X-Request-ID as DashScope does.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { internalError, invalidParameter, SimError } from './upstream-errors.ts';

export function sendSimError(request: FastifyRequest, reply: FastifyReply, error: SimError): FastifyReply {
  return reply
    .status(error.status)
    .header('x-request-id', request.id)
    .send({ code: error.code, message: error.message, request_id: request.id });
}

export function simErrorHandler(error: FastifyError | SimError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const simError = error instanceof SimError ? error : fromFastify(error);
  if (simError.status >= 500 && !(error instanceof SimError)) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: simError.code, message: simError.message }, 'request rejected');
  return sendSimError(request, reply, simError);
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendSimError(request, reply, new SimError(404, 'NotFound', `No such API: ${request.method} ${request.url.split('?')[0]}.`));
}

// Fastify's own 4xx errors are all about the body (unparsable, empty, wrong Content-Type, too big).
function fromFastify(error: FastifyError): SimError {
  const status = error.statusCode ?? 500;
  if (status >= 500) return internalError();
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return invalidParameter('The request body is too large.');
  return invalidParameter('The request body must be a JSON object.');
}
