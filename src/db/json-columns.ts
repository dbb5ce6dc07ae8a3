// The shapes of the jsonb columns, for the query types generated from prisma/schema.prisma
// (its `@kyselyType(Json.…)` annotations point here).
export type { NormalizedRequest as TaskRequest } from '../modules/tasks/normalize-request.ts';
export type { PriceSnapshot } from '../modules/pricing/quota.ts';

/** An upstream (DashScope) response body, kept as it came. */
export type UpstreamBody = Record<string, unknown>;
/** Gateway model name -> the channel's own model name. */
export type ModelMapping = Record<string, string>;
/** Resolution tier -> price multiplier, as numbers or decimal strings. */
export type ResolutionRatios = Record<string, number | string>;
/** A record as the admin API shows it (secrets redacted), or a stored admin response. */
export type AuditRecord = Record<string, unknown>;
