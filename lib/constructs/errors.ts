/**
 * The error family of `lib/constructs`: thrown eagerly from construct constructors when props are
 * wrong. Messages quote the bad value, say what is allowed and how to fix it; `context` carries the
 * construct path and the offending prop for tooling.
 */
export class SagaConstructError extends Error {
  /** Machine-readable context: construct path, prop name, bad value. */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SagaConstructError';
    this.context = context;
  }
}
