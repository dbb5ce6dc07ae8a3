// Security headers on every answer (helmet), with one Content-Security-Policy that fits the web
// console (its own scripts and styles only), Swagger UI at /docs and the JSON API alike.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * `baseUrl`: PUBLIC_BASE_URL (or http://localhost:PORT); HSTS only makes sense when it is https.
 * `storageOrigin`: where the storage's own links point when that is not this gateway (S3's
 * presigned links, GatewayStorage.linkOrigin), or null.
 */
export function registerSecurityHeaders(app: FastifyInstance, baseUrl: string, storageOrigin: string | null = null): void {
  // A succeeded task's result_url is a presigned link to the store when the storage is S3: the
  // operator's task page plays it (and could show its thumbnail) from there. That origin alone is
  // added; the customer pages relay videos through GET /v1/videos/{id}/content, this origin.
  const storage = storageOrigin ? [storageOrigin] : [];
  // Swagger UI publishes the hashes of any inline script or style it needs (none today).
  const swagger = (app as FastifyInstance & { swaggerCSP?: { script: string[]; style: string[] } }).swaggerCSP ?? { script: [], style: [] };
  // Taken once: @fastify/helmet built helmet's middleware anew on every request, parsing the whole
  // policy each time, and even built once its dozen setHeader calls cost 6 % of the API's CPU
  // under a submit load (docs/benchmarks.md). Helmet's headers depend on its options alone.
  const middleware = helmet({
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
  const headers = headersSetBy(middleware);
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
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
