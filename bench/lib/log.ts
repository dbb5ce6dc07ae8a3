// Progress goes to stderr: stdout carries only the report, whose last line is parsed as JSON.
export const log = (message: string): void => console.error(`[bench] ${message}`);
