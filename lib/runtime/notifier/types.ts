import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock, Logger, Metrics } from '../shared/ports.js';
import type { SecretReader } from '../shared/secrets.js';

/** One receiver of saga outcomes. */
export interface NotificationEndpoint {
  /**
   * Receiver id (lower-case letters, digits, '-'): a saga is notified here only if it named this id
   * at start (`startSaga(…, { receivers: [id] })`); also the receiver's key id at the query API.
   */
  readonly id: string;
  readonly url: string;
  /**
   * Name or ARN of the Secrets Manager secret whose value signs each request:
   * `x-saga-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. Read when
   * needed and cached (rotation takes effect within the cache's max age). Required unless
   * `unsigned` is true.
   */
  readonly signingSecretId?: string;
  /** Send this endpoint's requests unsigned (a deliberate choice: give it explicitly). @default false */
  readonly unsigned?: boolean;
  /** Terminal event types this receiver wants. @default every terminal event */
  readonly events?: readonly string[];
}

export interface NotifierOptions {
  readonly endpoints: readonly NotificationEndpoint[];
  /** Attempts per notification before it is given up and flagged. @default 8 */
  readonly maxAttempts?: number;
  /** Delay before the first retry; doubles per failed attempt. @default 30 s */
  readonly firstRetryDelayMs?: number;
  /** Upper bound of the delay between attempts. @default 1 h */
  readonly maxRetryDelayMs?: number;
  /** HTTP timeout of one attempt. @default 5 s */
  readonly requestTimeoutMs?: number;
}

/** The subset of `fetch` the notifier uses (injectable for tests; Node 20's global fetch by default). */
export type FetchLike = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: string; signal?: AbortSignal }) => Promise<{ status: number }>;

export interface NotifierDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** @default system clock */
  readonly clock?: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default globalThis.fetch */
  readonly fetch?: FetchLike;
  /** Where signing secrets are read; required when an endpoint signs. */
  readonly secrets?: SecretReader;
}

/** What a receiver gets (the request body), and what the query API returns as `outcome`. */
export interface OutcomeNotification {
  readonly notificationId: string;
  readonly sagaId: string;
  readonly definition: string;
  readonly status: 'completed' | 'compensated';
  readonly terminalEvent: { readonly type: string; readonly eventId: string; readonly occurredAt: string; readonly payload: unknown };
}

export type NotificationState = 'pending' | 'delivered' | 'gave-up';

/** The notification item. */
export interface NotificationRecord {
  readonly pk: string;
  readonly sk: string;
  readonly kind: 'notification';
  readonly sagaId: string;
  readonly endpointId: string;
  readonly url: string;
  readonly state: NotificationState;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly body: string;
  readonly createdAt: string;
  readonly lastAttemptAt?: string;
  readonly lastStatus?: number;
  readonly lastError?: string;
  readonly deliveredAt?: string;
  readonly gaveUpAt?: string;
  /** True once given up: an operator (or the receiver, through the query API) must reconcile. */
  readonly flagged?: boolean;
  readonly openShard?: string;
  readonly nextCheckAt?: string;
}

/** One recorded HTTP attempt. */
export interface NotificationAttempt {
  readonly sagaId: string;
  readonly endpointId: string;
  readonly attempt: number;
  readonly at: string;
  readonly outcome: 'delivered' | 'failed';
  readonly status?: number;
  readonly error?: string;
  readonly durationMs: number;
}

/** Notifications and attempts are kept 30 days: long after the last retry, for the query API and audits. */
export const NOTIFICATION_TTL_DAYS = 30;
