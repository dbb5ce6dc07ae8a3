// CSV as RFC 4180 writes it: a field with a comma, quote or line break is quoted, quotes doubled.
const NEEDS_QUOTES = /[",\r\n]/;

const field = (value: unknown): string => {
  const text = value === null || value === undefined ? '' : String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

export const csvLine = (values: unknown[]): string => `${values.map(field).join(',')}\r\n`;
