/**
 * The error family of `lib/core`. Every error names what went wrong, shows the bad value,
 * says what is allowed and how to fix it, and carries context fields for logs.
 */
export class SagaCoreError extends Error {
  /** Machine-readable context (participant, event, variable …) for structured logs. */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SagaCoreError';
    this.context = context;
  }
}

/** A saga definition is malformed (unknown event name, duplicate step, reserved name …). */
export class DefinitionError extends SagaCoreError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'DefinitionError';
  }
}

/** A required environment variable is missing or has an invalid value. */
export class ConfigError extends SagaCoreError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'ConfigError';
  }
}

/** An incoming event is not acceptable: its envelope, payload, producer or version is wrong. */
export class EnvelopeError extends SagaCoreError {
  /** Short machine-readable reason code, e.g. `invalid-json`, `unknown-event-type`. */
  readonly reason: RejectionReason;

  constructor(reason: RejectionReason, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'EnvelopeError';
    this.reason = reason;
  }
}

/** Closed set of reasons an incoming message can be rejected for; counted per reason in metrics. */
export const REJECTION_REASONS = [
  'invalid-json',
  'not-an-eventbridge-event',
  'invalid-envelope',
  'invalid-saga-id',
  'unknown-definition',
  'unknown-event-type',
  'forged-source',
  'future-definition-version',
  /** An older version's event at a handler that neither is that version nor migrates it. */
  'unserved-definition-version',
  'invalid-payload',
  'oversize-event',
  'not-subscribed',
  'handler-rejected',
  'handler-crashed',
  'invalid-outbox-row',
  /** A TCC confirm after a cancel (or a cancel after a confirm): refused, kept for an operator. */
  'phase-conflict',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/**
 * True for an event of a definition version this handler does not serve: never poison, never
 * acknowledged — during a rolling upgrade it is retried with backoff and, if no handler of its
 * version takes it, kept in the DLQ with this reason (docs/recovery.md "Upgrading a saga").
 */
export function isVersionMismatch(error: unknown): error is EnvelopeError {
  return error instanceof EnvelopeError && (error.reason === 'future-definition-version' || error.reason === 'unserved-definition-version');
}
