import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { allowInlineStyles } from './security-headers.ts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ErrorCode } from '../lib/errors.ts';
import { GATEWAY_VERSION as VERSION } from '../lib/version.ts';
import { apiGuide } from './api-guide.ts';
import { makeRouteDocumenter } from './route-docs.ts';

export const PRODUCT_NAME = 'Wan 2.7 video gateway';

export interface OpenApiOptions {
  /** Where clients reach the gateway: PUBLIC_BASE_URL, as in every link the gateway hands out. */
  baseUrl: string;
  pollIntervalMs: number;
  resultRetentionDays: number;
}

const TAGS = [
  { name: 'video generations', description: "EasyRouter's API: submit a task, query it. Errors are `{code, message, data: null}`." },
  {
    name: 'videos (OpenAI-compatible)',
    description: "OpenAI's Videos API, as the official `openai` SDKs call it. Errors are OpenAI's `{error: {message, type, param, code}}`.",
  },
  {
    name: 'models (OpenAI-compatible)',
    description: "OpenAI's model list, as client tools and `client.models.*` read it, with each model's price for the calling key. Errors are OpenAI's `{error: {message, type, param, code}}`.",
  },
  {
    name: 'billing (new-api-compatible)',
    description: "The balance endpoints client tools built for new-api and one-api read: the limit and the usage, whose difference is the balance. Errors are OpenAI's `{error: {message, type, param, code}}`.",
  },
  {
    name: 'account',
    description: "The caller's own account, as the web console shows it: balance and key, usage, quota logs. Errors are `{code, message, data: null}`.",
  },
  {
    name: 'console session',
    description:
      'The web console signs a customer in by exchanging an API key for a short-lived HttpOnly, SameSite=Strict session cookie. Every client route accepts that cookie instead of the Bearer key; a change made with it must carry the session\'s `X-CSRF-Token` header and no foreign `Origin`.',
  },
  { name: 'files', description: 'The signed links to videos and thumbnails that the API hands out (local storage).' },
  { name: 'admin', description: 'The operator API: users, quota, keys, logs, webhook deliveries, upstream channels.' },
  { name: 'health', description: 'Probes for load balancers and orchestrators.' },
  { name: 'metrics', description: 'Prometheus metrics of the process (docs/observability.md lists them).' },
  { name: 'documentation', description: 'This document.' },
];

// The top bar's logo: the product's name where Swagger UI shows its own.
const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="460" height="40" viewBox="0 0 460 40">
<rect x="2" y="6" width="28" height="28" rx="6" fill="#62a03f"/><path d="M12 13v14l11-7z" fill="#fff"/>
<text x="42" y="27" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif"><tspan font-size="20" font-weight="700" fill="#fff">${PRODUCT_NAME}</tspan><tspan dx="12" font-size="16" fill="#bbb">API reference</tspan></text>
</svg>`;

const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#62a03f"/><path d="M12 9v14l11-7z" fill="#fff"/></svg>`;

// The top bar keeps the logo only: its box for loading another document's URL does not apply here.
const THEME_CSS = '.swagger-ui .topbar .download-url-wrapper { display: none; }';

/** OpenAPI generated from the routes' zod schemas, served at /openapi.json and browsable at /docs. */
export async function registerOpenApi(app: FastifyInstance, { baseUrl, pollIntervalMs, resultRetentionDays }: OpenApiOptions): Promise<void> {
  const documentedCodes = new Set<ErrorCode>();
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: PRODUCT_NAME,
        version: VERSION,
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: baseUrl, description: 'This gateway (PUBLIC_BASE_URL)' }],
      tags: TAGS,
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'A client API key, `sk-...`, made by the operator with `POST /admin/keys`.' },
          adminToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'The ADMIN_TOKEN the server was started with (scope write), or an admin token made with `POST /admin/tokens` (scope read: GET only; write: everything).',
          },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'The METRICS_TOKEN the server was started with, when it sets one.' },
          consoleSession: {
            type: 'apiKey',
            in: 'cookie',
            name: 'vgw_session',
            description: 'The web console\'s session cookie (POST /v1/console/session); changes made with it also need the X-CSRF-Token header.',
          },
        },
      },
    },
    // PUBLIC_BASE_URL may have a path; the routes' own paths stay whole under it.
    stripBasePath: false,
    transform: makeRouteDocumenter((codes) => codes.forEach((code) => documentedCodes.add(code))),
    // Runs once every route is documented, so the guide lists exactly the codes some operation answers.
    transformObject: (document) => {
      if (!('openapiObject' in document)) throw new Error('the gateway is documented in OpenAPI 3');
      const { openapiObject } = document;
      const description = apiGuide({ baseUrl, pollIntervalMs, resultRetentionDays, errorCodes: [...documentedCodes] });
      return { ...openapiObject, info: { title: PRODUCT_NAME, version: VERSION, ...openapiObject.info, description } };
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    logo: { type: 'image/svg+xml', content: LOGO_SVG, href: '/docs' },
    theme: {
      title: `${PRODUCT_NAME}: API reference`,
      css: [{ filename: 'theme.css', content: THEME_CSS }],
      favicon: [{ filename: 'favicon.svg', rel: 'icon', sizes: 'any', type: 'image/svg+xml', content: FAVICON_SVG }],
    },
    uiConfig: { persistAuthorization: true, displayRequestDuration: true },
    transformStaticCSP: allowInlineStyles,
  });
  app.get('/openapi.json', {
    schema: {
      operationId: 'getOpenApiDocument',
      tags: ['documentation'],
      summary: 'This OpenAPI 3.1 document',
      security: [],
      response: { 200: z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }).describe('The OpenAPI document') },
    },
    handler: async () => app.swagger(),
  });
}
