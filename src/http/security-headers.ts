// Security headers on every answer, in two sets. Documents (the web console, Swagger UI at /docs,
// videos, images, CSV) get helmet's, with a Content-Security-Policy that admits the console's own
// scripts and styles. JSON answers are data, never a page that loads anything: they get the short
// set an API needs (as GitHub's API sends): a policy that lets nothing load or frame it, and
// nosniff. The full set made every JSON answer 382 bytes and seven headers longer, on the gateway's
// busiest answers, for each client to parse (docs/benchmarks.md).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * `baseUrl`: PUBLIC_BASE_URL (or http://localhost:PORT); HSTS only makes sense when it is https.
 * `storageOrigin`: where the storage's own links point when that is not this gateway (S3's
 * presigned links, GatewayStorage.linkOrigin), or null.
 */
export function registerSecurityHeaders(app: FastifyInstance, baseUrl: string, storageOrigin: string | null = null): void {
  // Registered before Swagger UI, whose own onSend lets its pages style themselves inline by
  // rewriting the policy set here; the policy itself needs what Swagger UI publishes once it is
  // registered, so both sets are made when the server is ready.
  let documentHeaders: Record<string, string> = {};
  let dataHeaders: Record<string, string> = {};
  app.addHook('onReady', (done) => {
    documentHeaders = headersSetBy(helmetFor(app, baseUrl, storageOrigin));
    dataHeaders = dataHeadersFrom(documentHeaders);
    const unreplaced = Object.keys(dataHeaders).filter((name) => documentHeaders[name] === undefined);
    done(unreplaced.length === 0 ? undefined : new Error(`the document headers do not replace ${unreplaced.join(', ')}`));
  });
  // Set when the request arrives, so that every answer has them, whatever ends it (an error, a
  // hijacked event stream, which copies them); a document's are set once its type is known.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(dataHeaders);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!isData(reply.getHeader('content-type'))) reply.headers(documentHeaders);
    done(null, payload);
  });
}

/** What JSON answers carry: nothing may load from them or frame them; HSTS as documents send it. */
function dataHeadersFrom(documentHeaders: Record<string, string>): Record<string, string> {
  const hsts = documentHeaders['strict-transport-security'];
  return {
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    ...(hsts === undefined ? {} : { 'strict-transport-security': hsts }),
  };
}

/**
 * JSON is data. An answer without a type (a 204, a 304 of a cached page) is treated as a document:
 * a 304's headers update the cached page's own, and the console's page must keep its policy.
 */
function isData(contentType: unknown): boolean {
  return typeof contentType === 'string' && contentType.startsWith('application/json');
}

function helmetFor(app: FastifyInstance, baseUrl: string, storageOrigin: string | null): Middleware {
  // A succeeded task's result_url is a presigned link to the store when the storage is S3: the
  // operator's task page plays it (and could show its thumbnail) from there. That origin alone is
  // added; the customer pages relay videos through GET /v1/videos/{id}/content, this origin.
  const storage = storageOrigin ? [storageOrigin] : [];
  // Swagger UI publishes the hashes of any inline script or style it needs (none today).
  const swagger = (app as FastifyInstance & { swaggerCSP?: { script: string[]; style: string[] } }).swaggerCSP ?? { script: [], style: [] };
  // Taken once: @fastify/helmet built helmet's middleware anew on every request, parsing the whole
  // policy each time, and even built once its dozen setHeader calls cost 6 % of the API's CPU
  // under a submit load (docs/benchmarks.md). Helmet's headers depend on its options alone.
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", ...swagger.script],
        styleSrc: ["'self'", ...swagger.style],
        // data: for Swagger UI's logo and icons, and the playground's preview of a picked first frame.
        imgSrc: ["'self'", 'data:', ...storage],
        mediaSrc: ["'self'", ...storage],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // Result videos and thumbnails (/files/*, /v1/videos/{id}/content) are meant to be embedded by
    // customers' own sites; a same-origin resource policy would break their <video> tags.
    crossOriginResourcePolicy: false,
    // Nothing here needs cross-origin isolation, and requiring it would block S3-hosted videos.
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: baseUrl.startsWith('https:') ? { maxAge: 15_552_000, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'same-origin' },
  });
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** The headers a middleware sets on an answer, recorded once. */
function headersSetBy(middleware: Middleware): Record<string, string> {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: string) => headers.set(name.toLowerCase(), value),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
  };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (err) => {
    if (err) throw err;
  });
  return Object.fromEntries(headers);
}

/**
 * Swagger UI (/docs) sets inline styles as it renders; its pages alone get 'unsafe-inline' for
 * styles (never for scripts). Given to @fastify/swagger-ui as transformStaticCSP.
 */
export const allowInlineStyles = (policy: string): string => policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");
