// Telling "PostgreSQL cannot be reached or is overloaded right now" from a bug: the first is a 503
// the client may retry (nothing was written), the second a 500.

// SQLSTATE classes and codes that mean the database, not the statement, is the problem.
const UNAVAILABLE_SQLSTATES = new Set([
  '57014', // query_canceled: statement_timeout
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '53300', // too_many_connections
  '25P03', // idle_in_transaction_session_timeout
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect', // pg pool: no free connection in time
  'Connection terminated',
  'connect ECONNREFUSED',
  'Client has encountered a connection error',
  'terminating connection',
];

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code))) return true;
  return UNAVAILABLE_MESSAGES.some((m) => error.message.includes(m));
}
