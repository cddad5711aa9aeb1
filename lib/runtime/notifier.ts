import { definitionForEvent } from '../core/versions.js';
import { createHmac } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { describeIssues } from '../core/schema-issues.js';
import { NOTIFIER, type AnySagaDefinition } from '../core/definition.js';
import { parseEventBridgeBody, validateEvent, type Envelope } from '../core/envelope.js';
import { ENV, readEnv, readIntEnv, readOptionalEnv } from '../core/env.js';
import { ConfigError, EnvelopeError } from '../core/errors.js';
import { KEY, NOTIFY_FLAGGED_SHARD, notificationAttemptKey, notificationKey, notificationPartition, notifyShardOf, notifyShards } from '../core/keys.js';
import { isTerminal } from '../core/model.js';
import { createDocumentClient } from './aws-clients.js';
import { checkDefinitionName } from './from-env.js';
import { DAY_SECONDS } from './outbox.js';
import { emfMetrics, jsonLogger, METRIC, systemClock, type Clock, type Logger, type LogLevel, type Metrics } from './ports.js';
import { readSagaReceivers } from './receivers.js';
import { recordRejection } from './rejections.js';
import { DEFAULT_SECRET_MAX_AGE_SECONDS, SecretUnavailableError, secretsManagerReader, type SecretReader } from './secrets.js';

/**
 * Best-effort notification (最大努力通知): when a saga ends, its outcome is POSTed to each
 * configured HTTP endpoint; failed attempts are retried with exponential backoff up to a maximum,
 * every attempt is recorded (`notifier#notification#<sagaId>` items), and a notification that
 * exhausted its attempts is flagged. Receivers that missed a notification ask the outcome query
 * API (lib/runtime/outcome-api.ts) — the reliability of the receiver's view is the receiver's
 * to ensure; ours is to try hard and to answer.
 *
 * Why a notifier Lambda rather than EventBridge API destinations: API destinations retry (24 h,
 * 185 attempts) but record nothing per saga — no attempt log, no "gave up" state to flag or to
 * show a receiver, and no per-receiver signature secret in the payload. See docs/patterns.md.
 *
 * Items (all under the notifier's own prefix, `notifier#`):
 *   notifier#notification#<sagaId> / endpoint#<id>        the notification: state, attempts, body
 *   notifier#notification#<sagaId> / attempt#<id>#<nnn>   one item per HTTP attempt
 * A pending notification sits in the sparse index partition `open#notify#<k>` sorted by its next
 * attempt; a given-up one in `open#notify-flagged`.
 */

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

const DEFAULTS = { maxAttempts: 8, firstRetryDelayMs: 30_000, maxRetryDelayMs: 3_600_000, requestTimeoutMs: 5_000 } as const;
type Resolved = Required<Omit<NotifierOptions, 'endpoints'>> & Pick<NotifierOptions, 'endpoints'>;
const resolve = (o: NotifierOptions): Resolved => ({ ...DEFAULTS, ...o });

/** Delay after the `failed`-th failed attempt: first × 2^(failed-1), capped. */
export function notificationBackoffMs(failed: number, options: Pick<NotifierOptions, 'firstRetryDelayMs' | 'maxRetryDelayMs'> = {}): number {
  const first = options.firstRetryDelayMs ?? DEFAULTS.firstRetryDelayMs;
  const max = options.maxRetryDelayMs ?? DEFAULTS.maxRetryDelayMs;
  return Math.min(max, first * 2 ** Math.max(0, failed - 1));
}

/** `x-saga-signature` value for a body: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signNotification(secret: string, body: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

const ENDPOINT_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;
const endpointsSchema = z.array(
  z.object({
    id: z.string().check(z.regex(ENDPOINT_ID)),
    url: z.url({ protocol: /^https?$/ }),
    signingSecretId: z.optional(z.string().check(z.minLength(1))),
    unsigned: z.optional(z.boolean()),
    events: z.optional(z.array(z.string())),
  }),
);

/** Checks a notifier configuration; throws {@link ConfigError} naming the problem. */
export function checkNotifierOptions(def: AnySagaDefinition, options: NotifierOptions): void {
  const parsed = endpointsSchema.safeParse(options.endpoints);
  if (!parsed.success) {
    throw new ConfigError(`Notifier endpoints are invalid: ${describeIssues(parsed.error.issues, options.endpoints)}. Each needs an id (${ENDPOINT_ID}) and an http(s) url.`);
  }
  const ids = options.endpoints.map((e) => e.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new ConfigError(`Notifier endpoint id "${dup}" is used twice; ids must be unique.`);
  for (const e of options.endpoints) {
    // Never silently unsigned: a missing secret is a configuration error unless unsigned is explicit.
    if (!e.signingSecretId && e.unsigned !== true) throw new ConfigError(`Notifier endpoint "${e.id}" has no signingSecretId; name the Secrets Manager secret that signs its requests, or set unsigned: true to send them unsigned on purpose.`);
    if (e.signingSecretId && e.unsigned === true) throw new ConfigError(`Notifier endpoint "${e.id}" has a signingSecretId and unsigned: true; choose one.`);
  }
  const terminals = [...def.terminal.success, ...def.terminal.failure] as string[];
  for (const e of options.endpoints) {
    const unknown = (e.events ?? []).filter((t) => !terminals.includes(t));
    if (unknown.length > 0) throw new ConfigError(`Notifier endpoint "${e.id}" lists ${unknown.join(', ')}, which are not terminal events of saga "${def.name}" (${terminals.join(', ')}).`);
  }
  const m = options.maxAttempts ?? DEFAULTS.maxAttempts;
  if (!Number.isInteger(m) || m < 1 || m > 100) throw new ConfigError(`Notifier maxAttempts must be an integer from 1 to 100, got ${JSON.stringify(m)}.`);
}

/**
 * The notifier: an SQS handler for the saga's terminal events (opens one notification per
 * endpoint and makes its first attempt at once) plus {@link Notifier.sweep} for the retries that
 * fell due (run on a schedule). {@link createNotifierHandler} wraps both for one Lambda.
 *
 * @example
 * ```ts
 * const notifier = new Notifier(orderSaga, { endpoints: [{ id: 'merchant', url: 'https://merchant.example/hooks/orders', signingSecretId: 'merchant-webhook' }] }, { ...deps, secrets: secretsManagerReader() });
 * await notifier.handleEvents(sqsEvent); // terminal events
 * await notifier.sweep();                // every minute
 * ```
 */
export class Notifier {
  private readonly options: Resolved;
  private readonly clock: Clock;
  private readonly fetch: FetchLike;

  constructor(
    readonly def: AnySagaDefinition,
    options: NotifierOptions,
    private readonly deps: NotifierDeps,
  ) {
    checkNotifierOptions(def, options);
    if (!deps.secrets && options.endpoints.some((e) => e.signingSecretId)) throw new ConfigError('The notifier signs requests but was given no secrets reader (deps.secrets, e.g. secretsManagerReader()).');
    this.options = resolve(options);
    this.clock = deps.clock ?? systemClock;
    this.fetch = deps.fetch ?? ((url, init) => globalThis.fetch(url, init));
  }

  /** Handles an SQS batch of terminal events; HTTP failures are retried by the sweep, not by SQS. */
  async handleEvents(event: SQSEvent): Promise<SQSBatchResponse> {
    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      try {
        let envelope: Envelope;
        try {
          const event = parseEventBridgeBody(record.body);
          // Outcomes of every deployed version are notified, each judged by its own definition.
          envelope = (await validateEvent(definitionForEvent(this.def, event), event)).envelope;
        } catch (error) {
          if (!(error instanceof EnvelopeError)) throw error;
          await recordRejection(this.deps.client, this.deps.tableName, { consumer: NOTIFIER, messageId: record.messageId, reason: error.reason, message: error.message, body: record.body, now: this.clock.now() });
          this.deps.metrics.count(METRIC.rejections, 1, { Participant: NOTIFIER, Reason: error.reason });
          continue;
        }
        await this.notify(envelope);
      } catch (error) {
        this.deps.logger.log('error', 'notifier failed on a record; it returns to the queue', { messageId: record.messageId, error: (error as Error).message });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  }

  /**
   * Opens the notifications of one terminal event (idempotent: one per saga and endpoint, the first
   * terminal event wins) and makes their first attempt.
   */
  async notify(envelope: Envelope): Promise<NotificationRecord[]> {
    const terminal = isTerminal(this.def, envelope.type);
    if (!terminal) return [];
    const now = this.clock.now();
    const opened: NotificationRecord[] = [];
    const receivers = await readSagaReceivers(this.deps.client, this.deps.tableName, envelope.sagaId);
    if (receivers.length === 0) this.deps.logger.log('info', 'saga named no receiver at start: its outcome is notified to nobody', { sagaId: envelope.sagaId, eventType: envelope.type });
    for (const endpoint of this.options.endpoints) {
      if (!receivers.includes(endpoint.id)) continue; // per-receiver scope: only the saga's own receivers
      if (endpoint.events && !endpoint.events.includes(envelope.type)) continue;
      const key = notificationKey(envelope.sagaId, endpoint.id);
      const body: OutcomeNotification = {
        notificationId: `${envelope.sagaId}:${endpoint.id}`,
        sagaId: envelope.sagaId,
        definition: this.def.name,
        status: terminal === 'success' ? 'completed' : 'compensated',
        terminalEvent: { type: envelope.type, eventId: envelope.eventId, occurredAt: envelope.occurredAt, payload: envelope.payload },
      };
      const item: NotificationRecord = {
        ...key,
        kind: 'notification',
        sagaId: envelope.sagaId,
        endpointId: endpoint.id,
        url: endpoint.url,
        state: 'pending',
        attempts: 0,
        maxAttempts: this.options.maxAttempts,
        body: JSON.stringify(body),
        createdAt: new Date(now).toISOString(),
        openShard: notifyShardOf(envelope.sagaId),
        nextCheckAt: new Date(now).toISOString(),
      };
      try {
        await this.deps.client.send(new PutCommand({ TableName: this.deps.tableName, Item: { ...item, [KEY.ttl]: ttl(now) }, ConditionExpression: 'attribute_not_exists(pk)' }));
      } catch (error) {
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') continue; // already opened (a redelivery)
        throw error;
      }
      opened.push(await this.attempt(item));
    }
    return opened;
  }

  /** Makes every attempt that is due (next attempt time ≤ now). Run it on a schedule. */
  async sweep(options: { readonly limit?: number } = {}): Promise<{ attempted: number; delivered: number; gaveUp: number }> {
    const now = this.clock.now();
    const limit = options.limit ?? 100;
    const due: NotificationRecord[] = [];
    for (const shard of notifyShards()) {
      const out = await this.deps.client.send(
        new QueryCommand({
          TableName: this.deps.tableName,
          IndexName: KEY.openIndex,
          KeyConditionExpression: '#s = :s AND #n <= :now',
          ExpressionAttributeNames: { '#s': KEY.openPartition, '#n': KEY.openSort },
          ExpressionAttributeValues: { ':s': shard, ':now': new Date(now).toISOString() },
          Limit: limit,
        }),
      );
      due.push(...((out.Items ?? []) as NotificationRecord[]).filter((n) => n.kind === 'notification' && n.state === 'pending'));
    }
    let delivered = 0;
    let gaveUp = 0;
    for (const n of due.slice(0, limit)) {
      const after = await this.attempt(n);
      if (after.state === 'delivered') delivered++;
      if (after.state === 'gave-up') gaveUp++;
    }
    return { attempted: Math.min(due.length, limit), delivered, gaveUp };
  }

  /** Earliest next attempt among pending notifications (ms), or undefined when none is pending. */
  async nextAttemptAt(): Promise<number | undefined> {
    let earliest: number | undefined;
    for (const shard of notifyShards()) {
      const out = await this.deps.client.send(
        new QueryCommand({ TableName: this.deps.tableName, IndexName: KEY.openIndex, KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': KEY.openPartition }, ExpressionAttributeValues: { ':s': shard }, Limit: 1 }),
      );
      const at = (out.Items?.[0] as NotificationRecord | undefined)?.nextCheckAt;
      if (at && (earliest === undefined || Date.parse(at) < earliest)) earliest = Date.parse(at);
    }
    return earliest;
  }

  /**
   * One attempt: claim it (attempts + 1, conditional on the attempts seen — so two sweeps never
   * send the same attempt), POST, then record the attempt and the new state in one transaction.
   */
  private async attempt(seen: NotificationRecord): Promise<NotificationRecord> {
    const now = this.clock.now();
    const n = seen.attempts + 1;
    const key = notificationKey(seen.sagaId, seen.endpointId);
    const endpoint = this.options.endpoints.find((e) => e.id === seen.endpointId);
    // If the process dies between the claim and the record, the attempt counts and the sweep retries after the backoff.
    const retryAt = now + this.options.requestTimeoutMs + notificationBackoffMs(n, this.options);
    try {
      await this.deps.client.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: key,
          UpdateExpression: 'SET attempts = :n, lastAttemptAt = :at, #next = :retryAt',
          ConditionExpression: '#state = :pending AND attempts = :seen',
          ExpressionAttributeNames: { '#state': 'state', '#next': KEY.openSort },
          ExpressionAttributeValues: { ':n': n, ':at': new Date(now).toISOString(), ':retryAt': new Date(retryAt).toISOString(), ':pending': 'pending', ':seen': seen.attempts },
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return (await this.read(seen.sagaId, seen.endpointId)) ?? seen; // someone else attempted it
      throw error;
    }
    const started = Date.now();
    let status: number | undefined;
    let problem: string | undefined;
    if (!endpoint) {
      problem = `endpoint "${seen.endpointId}" is no longer configured`;
    } else {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'saga-choreography-notifier',
        'x-saga-notification-id': `${seen.sagaId}:${seen.endpointId}`,
        'x-saga-attempt': String(n),
      };
      try {
        if (endpoint.signingSecretId) headers['x-saga-signature'] = signNotification(await this.deps.secrets!.read(endpoint.signingSecretId), seen.body, now);
        const response = await this.fetch(endpoint.url, { method: 'POST', headers, body: seen.body, signal: AbortSignal.timeout(this.options.requestTimeoutMs) });
        status = response.status;
        if (status < 200 || status > 299) problem = `HTTP ${status}`;
      } catch (error) {
        // A signing secret that cannot be read fails the attempt (never sends unsigned): retried, then flagged.
        if (error instanceof SecretUnavailableError) this.deps.logger.log('error', 'notification not sent: its signing secret could not be read', { sagaId: seen.sagaId, endpoint: seen.endpointId, error: error.message });
        problem = `${(error as Error).name}: ${(error as Error).message}`;
      }
    }
    const durationMs = Date.now() - started;
    this.deps.metrics.count(METRIC.notificationAttempts, 1, { Endpoint: seen.endpointId });
    const delivered = problem === undefined;
    const giveUp = !delivered && (n >= seen.maxAttempts || !endpoint);
    const at = new Date(now).toISOString();
    const attempt: NotificationAttempt = {
      sagaId: seen.sagaId,
      endpointId: seen.endpointId,
      attempt: n,
      at,
      outcome: delivered ? 'delivered' : 'failed',
      ...(status !== undefined ? { status } : {}),
      ...(problem !== undefined ? { error: problem.slice(0, 500) } : {}),
      durationMs,
    };
    const names: Record<string, string> = { '#state': 'state', '#shard': KEY.openPartition, '#next': KEY.openSort };
    const update = delivered
      ? { UpdateExpression: 'SET #state = :delivered, deliveredAt = :at, lastStatus = :status REMOVE #shard, #next, lastError', values: { ':delivered': 'delivered', ':at': at, ':status': status ?? 0 } }
      : giveUp
        ? {
            UpdateExpression: 'SET #state = :gaveUp, gaveUpAt = :at, flagged = :true, lastError = :err, lastStatus = :status, #shard = :flaggedShard, #next = :at',
            values: { ':gaveUp': 'gave-up', ':at': at, ':true': true, ':err': attempt.error ?? 'failed', ':status': status ?? 0, ':flaggedShard': NOTIFY_FLAGGED_SHARD },
          }
        : { UpdateExpression: 'SET lastError = :err, lastStatus = :status', values: { ':err': attempt.error ?? 'failed', ':status': status ?? 0 } };
    const usedNames = Object.fromEntries(Object.entries(names).filter(([k]) => update.UpdateExpression.includes(k)));
    await this.deps.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.deps.tableName, Item: { ...notificationAttemptKey(seen.sagaId, seen.endpointId, n), kind: 'notification-attempt', ...attempt, [KEY.ttl]: ttl(now) } } },
          {
            Update: {
              TableName: this.deps.tableName,
              Key: key,
              UpdateExpression: update.UpdateExpression,
              ConditionExpression: 'attempts = :n',
              ...(Object.keys(usedNames).length > 0 ? { ExpressionAttributeNames: usedNames } : {}),
              ExpressionAttributeValues: { ...update.values, ':n': n },
            },
          },
        ],
      }),
    );
    if (delivered) this.deps.metrics.count(METRIC.notificationsDelivered, 1, { Endpoint: seen.endpointId });
    if (giveUp) {
      // Only the saga dimension: the construct's alarm watches exactly this series.
      this.deps.metrics.count(METRIC.notificationsGivenUp);
      this.deps.logger.log('error', 'notification given up after its last attempt; flagged (the receiver can still query the outcome)', { sagaId: seen.sagaId, endpoint: seen.endpointId, attempts: n, error: problem });
    }
    return (await this.read(seen.sagaId, seen.endpointId)) ?? seen;
  }

  private async read(sagaId: string, endpointId: string): Promise<NotificationRecord | undefined> {
    const out = await this.deps.client.send(new GetCommand({ TableName: this.deps.tableName, Key: notificationKey(sagaId, endpointId), ConsistentRead: true }));
    return out.Item as NotificationRecord | undefined;
  }
}

const ttl = (now: number): number => Math.floor(now / 1000) + NOTIFICATION_TTL_DAYS * DAY_SECONDS;

/** Every notification of a saga (one per endpoint) and every recorded attempt, oldest attempt first. */
export async function readNotifications(client: DynamoDBDocumentClient, tableName: string, sagaId: string): Promise<{ notifications: NotificationRecord[]; attempts: NotificationAttempt[] }> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': notificationPartition(sagaId) }, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return {
    notifications: items.filter((i) => i.kind === 'notification') as unknown as NotificationRecord[],
    attempts: items.filter((i) => i.kind === 'notification-attempt') as unknown as NotificationAttempt[],
  };
}

/** Notifications given up after their maximum attempts (the `open#notify-flagged` index partition). */
export async function listFlaggedNotifications(client: DynamoDBDocumentClient, tableName: string, limit = 100): Promise<NotificationRecord[]> {
  const out = await client.send(
    new QueryCommand({ TableName: tableName, IndexName: KEY.openIndex, KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': KEY.openPartition }, ExpressionAttributeValues: { ':s': NOTIFY_FLAGGED_SHARD }, Limit: limit }),
  );
  return (out.Items ?? []) as NotificationRecord[];
}

/** Notifier options from the environment the `SagaNotifier` construct writes. */
export function notifierOptionsFromEnv(source: Readonly<Record<string, string | undefined>> = process.env): NotifierOptions {
  const raw = readEnv(ENV.NOTIFY_ENDPOINTS, source);
  let endpoints: unknown;
  try {
    endpoints = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${ENV.NOTIFY_ENDPOINTS} is not valid JSON; expected [{ "id": "merchant", "url": "https://…", "signingSecretId": "<secret name or ARN>" }].`, { variable: ENV.NOTIFY_ENDPOINTS });
  }
  const parsed = endpointsSchema.safeParse(endpoints);
  if (!parsed.success) throw new ConfigError(`${ENV.NOTIFY_ENDPOINTS} is invalid: ${describeIssues(parsed.error.issues, endpoints)}.`, { variable: ENV.NOTIFY_ENDPOINTS });
  return {
    endpoints: parsed.data,
    maxAttempts: readIntEnv(ENV.NOTIFY_MAX_ATTEMPTS, DEFAULTS.maxAttempts, source),
    firstRetryDelayMs: readIntEnv(ENV.NOTIFY_FIRST_RETRY_SECONDS, DEFAULTS.firstRetryDelayMs / 1000, source) * 1000,
    maxRetryDelayMs: readIntEnv(ENV.NOTIFY_MAX_RETRY_SECONDS, DEFAULTS.maxRetryDelayMs / 1000, source) * 1000,
    requestTimeoutMs: readIntEnv(ENV.NOTIFY_TIMEOUT_MS, DEFAULTS.requestTimeoutMs, source),
  };
}

/** A scheduled invocation (EventBridge rule or Scheduler) rather than an SQS batch. */
const isSqsEvent = (event: unknown): event is SQSEvent => typeof event === 'object' && event !== null && Array.isArray((event as { Records?: unknown }).Records);

/**
 * The notifier Lambda: SQS batches of terminal events open notifications; scheduled invocations
 * sweep the due retries.
 *
 * @example
 * ```ts
 * // functions/notifier.ts
 * export const handler = lazyHandler(() => createNotifierHandler(orderSaga, notifierOptionsFromEnv(), notifierDepsFromEnv(orderSaga)));
 * ```
 */
export function createNotifierHandler(def: AnySagaDefinition, options: NotifierOptions, deps: NotifierDeps): (event: SQSEvent | Record<string, unknown>) => Promise<SQSBatchResponse | { attempted: number; delivered: number; gaveUp: number }> {
  const notifier = new Notifier(def, options, deps);
  return async (event) => (isSqsEvent(event) ? notifier.handleEvents(event) : notifier.sweep());
}

/** Notifier dependencies from the environment. */
export function notifierDepsFromEnv(def: AnySagaDefinition): NotifierDeps {
  checkDefinitionName(def);
  return {
    client: createDocumentClient(),
    tableName: readEnv(ENV.TABLE_NAME),
    logger: jsonLogger(readOptionalEnv(ENV.LOG_LEVEL, 'info') as LogLevel),
    metrics: emfMetrics('SagaChoreography', { Saga: def.name }),
    secrets: secretsManagerReader({ maxAgeSeconds: readIntEnv(ENV.SECRETS_MAX_AGE_SECONDS, DEFAULT_SECRET_MAX_AGE_SECONDS) }),
  };
}
