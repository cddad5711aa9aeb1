/**
 * The one base class of the framework's errors — core, runtime, local cloud, constructs, pattern
 * matcher and CLI alike: each names what went wrong, shows the bad value, says what is allowed and
 * how to fix it, and carries context fields for logs. `saga` prints one of these as its one-line
 * message (no stack); anything else is a bug and keeps its stack.
 *
 * (The DynamoDB engine's errors stand apart on purpose: they are the service's own exceptions,
 * `ConditionalCheckFailedException` and the rest, as the AWS SDK throws them.)
 *
 * @example
 * ```ts
 * try {
 *   defineSaga({ name: 'Bad Name', ... });
 * } catch (error) {
 *   if (error instanceof SagaError) console.error(`${error.name}: ${error.message}`, error.context);
 * }
 * ```
 */
export class SagaError extends Error {
  /** Machine-readable context (participant, event, construct path, variable …) for structured logs. */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SagaError';
    this.context = context;
  }
}

/** The error family of `lib/core` (definitions, envelopes, configuration, verification). */
export class SagaCoreError extends SagaError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'SagaCoreError';
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
