import { SagaError } from '../core/errors.js';

/**
 * The error family of `lib/constructs`: thrown eagerly from construct constructors when props are
 * wrong. Messages quote the bad value, say what is allowed and how to fix it; `context` carries the
 * construct path and the offending prop for tooling. A {@link SagaError}, like every framework error.
 */
export class SagaConstructError extends SagaError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'SagaConstructError';
  }
}
