import { ConfigError } from './errors.js';

/**
 * The one list of environment variables the framework uses. Constructs write them, the runtime
 * reads them through {@link readEnv}; nothing else configures a Lambda at run time.
 *
 * @example
 * ```ts
 * const table = readEnv(ENV.TABLE_NAME); // throws ConfigError naming SAGA_TABLE_NAME when unset
 * ```
 */
export const ENV = {
  /** DynamoDB table holding saga records, barriers, business items and the outbox. */
  TABLE_NAME: 'SAGA_TABLE_NAME',
  /** Name (or ARN) of the EventBridge bus the relay publishes to. */
  EVENT_BUS_NAME: 'SAGA_EVENT_BUS_NAME',
  /** Participant whose handler runs in this function (participant functions only). */
  PARTICIPANT: 'SAGA_PARTICIPANT',
  /** Saga definition name the function serves; checked against the bundled definition. */
  DEFINITION_NAME: 'SAGA_DEFINITION_NAME',
  /** Maximum number of in-process re-runs of a step after a transaction conflict. */
  MAX_CONFLICT_RERUNS: 'SAGA_MAX_CONFLICT_RERUNS',
  /** JSON map participant → DLQ URL, read by the reconciler and the CLI. */
  DLQ_URLS: 'SAGA_DLQ_URLS',
  /** JSON map participant → URL of its work queue, read by the CLI (`saga retry`, `saga redrive`). */
  QUEUE_URLS: 'SAGA_QUEUE_URLS',
  /** The participant queue's maxReceiveCount; on that receive a failing message leaves a failure record. */
  MAX_RECEIVE_COUNT: 'SAGA_MAX_RECEIVE_COUNT',
  /** First retry delay (seconds) of a failed message; doubles per receive, capped at 15 minutes. */
  RETRY_BASE_SECONDS: 'SAGA_RETRY_BASE_SECONDS',
  /** Reconciler: seconds without progress before a saga counts as quiet (lost publishes, stalls). */
  RECONCILE_QUIET_SECONDS: 'SAGA_RECONCILE_QUIET_SECONDS',
  /** Reconciler: quiet checks in a row before a stalled saga is flagged failed-needs-attention. */
  RECONCILE_STALLED_CHECKS: 'SAGA_RECONCILE_STALLED_CHECKS',
  /**
   * Notifier: JSON array of endpoints `[{ "id", "url", "signingSecretId" | "unsigned": true, "events"? }]`
   * that receive saga outcomes. `signingSecretId` names the Secrets Manager secret (name or ARN),
   * never its value.
   */
  NOTIFY_ENDPOINTS: 'SAGA_NOTIFY_ENDPOINTS',
  /** Notifier: attempts per notification before it is given up and flagged. */
  NOTIFY_MAX_ATTEMPTS: 'SAGA_NOTIFY_MAX_ATTEMPTS',
  /** Notifier: delay before the first retry (seconds); doubles per failed attempt. */
  NOTIFY_FIRST_RETRY_SECONDS: 'SAGA_NOTIFY_FIRST_RETRY_SECONDS',
  /** Notifier: longest delay between two attempts (seconds). */
  NOTIFY_MAX_RETRY_SECONDS: 'SAGA_NOTIFY_MAX_RETRY_SECONDS',
  /** Notifier: HTTP timeout of one attempt (milliseconds). */
  NOTIFY_TIMEOUT_MS: 'SAGA_NOTIFY_TIMEOUT_MS',
  /** Outcome query API: JSON map key id (receiver id) → name or ARN of the Secrets Manager secret holding its key. */
  OUTCOME_API_KEY_SECRETS: 'SAGA_OUTCOME_API_KEY_SECRETS',
  /** Notifier and outcome API: seconds a secret value is cached before it is read again (rotation takes effect within it). */
  SECRETS_MAX_AGE_SECONDS: 'SAGA_SECRETS_MAX_AGE_SECONDS',
  /** Log level: debug | info | warn | error. */
  LOG_LEVEL: 'SAGA_LOG_LEVEL',
  /** Standard AWS override honoured by every client the runtime creates (LocalStack, DynamoDB Local). */
  AWS_ENDPOINT_URL: 'AWS_ENDPOINT_URL',
  /** Standard AWS region variable; the local cloud's clients use it too (default us-east-1). */
  AWS_REGION: 'AWS_REGION',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

type EnvSource = Readonly<Record<string, string | undefined>>;

/** Reads a required variable; a missing or empty one fails with the variable's name and how to fix it. */
export function readEnv(name: EnvName, source: EnvSource = process.env): string {
  const value = source[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigError(
      `Environment variable ${name} is not set. It is written by the saga-choreography CDK constructs; ` +
        `when running a handler outside them, set ${name} yourself (see ENV in lib/core/env.ts).`,
      { variable: name },
    );
  }
  return value;
}

/** Reads an optional variable, returning `fallback` when unset. */
export function readOptionalEnv(name: EnvName, fallback: string, source: EnvSource = process.env): string {
  const value = source[name];
  return value === undefined || value.trim() === '' ? fallback : value;
}

/** Reads an optional positive integer variable, failing with the bad value when it is not one. */
export function readIntEnv(name: EnvName, fallback: number, source: EnvSource = process.env): number {
  const raw = source[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(`Environment variable ${name} must be a non-negative integer, got ${JSON.stringify(raw)}.`, {
      variable: name,
      value: raw,
    });
  }
  return value;
}
