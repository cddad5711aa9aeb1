import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { NOTIFIER, type AnySagaDefinition } from '../../core/definition.js';
import { parseEventBridgeBody, validateEvent, type Envelope } from '../../core/envelope.js';
import { ConfigError, EnvelopeError } from '../../core/errors.js';
import { KEY, NOTIFY_FLAGGED_SHARD, notificationAttemptKey, notificationKey, notifyShardOf, notifyShards } from '../../core/keys.js';
import { isTerminal } from '../../core/model.js';
import { definitionForEvent } from '../../core/versions.js';
import { METRIC, systemClock, type Clock } from '../shared/ports.js';
import { readSagaReceivers } from '../shared/receivers.js';
import { recordRejection } from '../shared/rejections.js';
import { SecretUnavailableError } from '../shared/secrets.js';
import { checkNotifierOptions, notificationBackoffMs, resolveNotifierOptions, signNotification, type ResolvedNotifierOptions } from './options.js';
import { notificationTtl } from './records.js';
import type { FetchLike, NotificationAttempt, NotificationRecord, NotifierDeps, NotifierOptions, OutcomeNotification } from './types.js';

/**
 * Best-effort notification (最大努力通知): when a saga ends, its outcome is POSTed to each
 * configured HTTP endpoint; failed attempts are retried with exponential backoff up to a maximum,
 * every attempt is recorded (`notifier#notification#<sagaId>` items), and a notification that
 * exhausted its attempts is flagged. Receivers that missed a notification ask the outcome query
 * API (lib/runtime/outcome-api/outcome-api.ts) — the reliability of the receiver's view is the receiver's
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
  private readonly options: ResolvedNotifierOptions;
  private readonly clock: Clock;
  private readonly fetch: FetchLike;

  constructor(
    readonly def: AnySagaDefinition,
    options: NotifierOptions,
    private readonly deps: NotifierDeps,
  ) {
    checkNotifierOptions(def, options);
    if (!deps.secrets && options.endpoints.some((e) => e.signingSecretId)) throw new ConfigError('The notifier signs requests but was given no secrets reader (deps.secrets, e.g. secretsManagerReader()).');
    this.options = resolveNotifierOptions(options);
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
        await this.deps.client.send(new PutCommand({ TableName: this.deps.tableName, Item: { ...item, [KEY.ttl]: notificationTtl(now) }, ConditionExpression: 'attribute_not_exists(pk)' }));
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
          { Put: { TableName: this.deps.tableName, Item: { ...notificationAttemptKey(seen.sagaId, seen.endpointId, n), kind: 'notification-attempt', ...attempt, [KEY.ttl]: notificationTtl(now) } } },
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
