/** A byte range that starts at or past the end of the object (HTTP 416). */
export class RangeNotSatisfiableError extends Error {
  /** Size of the whole object. */
  readonly bytes: number;

  constructor(bytes: number) {
    super(`range not satisfiable: the object has ${bytes} bytes`);
    this.name = 'RangeNotSatisfiableError';
    this.bytes = bytes;
  }
}
