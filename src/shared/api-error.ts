// The error of a call to the gateway's API as its clients see it, shared by the CLI (Node) and the
// web console (the browser). src/shared holds what the console bundles too: plain TypeScript
// without imports of Node or of the server (src/console/console-files.ts watches it for rebuilds).

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * The ApiError of an answer that was not a success, from its parsed body: either error shape the
 * API uses ({code, message}, and OpenAI's {error: {code, message}}); `fallback` for what the body
 * does not say.
 */
export function apiErrorFrom(status: number, body: unknown, fallback: { code: string; message: string }): ApiError {
  const shaped = body as { code?: string; message?: string; error?: { code?: string; message?: string } } | null;
  const inner = shaped?.error ?? shaped;
  return new ApiError(status, inner?.code ?? fallback.code, inner?.message ?? fallback.message);
}
