import { SagaCoreError } from '../../core/errors.js';

/** Errors raised inside Lambda handlers by the runtime (step misuse, commit failures). */
export class SagaRuntimeError extends SagaCoreError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'SagaRuntimeError';
  }
}

/** A step handler broke a rule of the runtime (wrote outside its prefix, emitted an undeclared event …). */
export class StepContractError extends SagaRuntimeError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'StepContractError';
  }
}
