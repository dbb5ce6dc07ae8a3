// Input the gateway could parse but PostgreSQL cannot store: a NUL character (refused in text and
// jsonb alike) or an unpaired UTF-16 surrogate (valid in a JSON string escape, refused by jsonb),
// anywhere in a body, query string or path parameter, keys included; and JSON nested so deeply
// that walking it would exhaust the stack. Checked in the validator of every route (app.ts), so
// no route, present or future, can hand such a value to the database.
import type { FastifySchemaCompiler } from 'fastify';
import { type AppError, badRequest } from '../lib/errors.ts';

/** No request the gateway takes nests deeper than a handful of levels. */
export const MAX_NESTING = 32;

const where = (path: string, part: string): string => path || (part === 'body' ? 'request body' : part);

function problemWith(text: string): string | null {
  if (text.includes('\u0000')) return 'a NUL character (\\u0000), which cannot be stored; remove it';
  if (!text.isWellFormed()) return 'an unpaired UTF-16 surrogate (such as \\ud800 without its pair), which is not valid Unicode; send well-formed text';
  return null;
}

/** The first unstorable value in `data`, as the 400 that names it; null when all is well. */
export function findUnstorable(data: unknown, part = 'body'): AppError | null {
  const visit = (value: unknown, path: string, depth: number): AppError | null => {
    if (typeof value === 'string') {
      const problem = problemWith(value);
      return problem ? badRequest(`${where(path, part)} contains ${problem}`, path || null) : null;
    }
    if (value === null || typeof value !== 'object') return null;
    if (depth > MAX_NESTING) return badRequest(`${where(path, part)} is nested too deeply (more than ${MAX_NESTING} levels)`, path || null);
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) {
        const found = visit(item, `${path}[${i}]`, depth + 1);
        if (found) return found;
      }
      return null;
    }
    for (const [key, item] of Object.entries(value)) {
      const problem = problemWith(key);
      if (problem) return badRequest(`${where(path, part)} contains a key with ${problem}`, path || null);
      const found = visit(item, path ? `${path}.${key}` : key, depth + 1);
      if (found) return found;
    }
    return null;
  };
  return visit(data, '', 0);
}

/** Wraps a validator compiler so every validated part of a request is checked first. */
export function storableInputCompiler<T>(inner: FastifySchemaCompiler<T>): FastifySchemaCompiler<T> {
  return (route) => {
    const validate = inner(route);
    return (data: unknown) => {
      const error = findUnstorable(data, route.httpPart ?? 'body');
      return error ? { error } : validate(data);
    };
  };
}
