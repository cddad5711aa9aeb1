import { definitionForVersion } from '../../core/versions.js';
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry, type PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { AnySagaDefinition } from '../../core/definition.js';
import { envelopeSchema } from '../../core/envelope.js';
import { describeIssues } from '../../core/schema-issues.js';
import { ITEM_KIND, KEY, producerOfOutboxKey } from '../../core/keys.js';
import { emittableBy, sourceFor } from '../../core/model.js';
import { contextual, invocationFields, validTraceHeader, withLogFields, type InvocationContext } from '../shared/logging.js';
import { METRIC, realSleep, systemClock, type Clock, type Logger, type Metrics, type Sleep } from '../shared/ports.js';
import { recordRejection } from '../shared/rejections.js';
import { recordUnpublished } from '../shared/unpublished.js';

/** PutEvents takes at most 10 entries per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;
/** PutEvents request payload limit (1 MB since January 2026). */
export const PUT_EVENTS_MAX_BYTES = 1024 * 1024;
/** Per-entry error codes worth retrying; anything else is reported as failed. */
export const RETRYABLE_ENTRY_ERRORS = new Set(['InternalFailure', 'ThrottlingException', 'InternalException', 'ServiceUnavailable']);

export interface RelayDeps {
  readonly eventBridge: Pick<EventBridgeClient, 'send'>;
  readonly eventBusName: string;
  /** For rejection records of malformed outbox rows. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Attempts per entry within one invocation (first try included). @default 4 */
  readonly maxAttempts?: number;
  /** First backoff; doubles per attempt, with jitter-free determinism for the local cloud. @default 50 ms */
  readonly baseBackoffMs?: number;
  readonly sleep?: Sleep;
  readonly clock?: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Overrides the payload limit, e.g. to test oversize splitting. @default PUT_EVENTS_MAX_BYTES */
  readonly maxRequestBytes?: number;
}

interface Pending {
  readonly sequenceNumber: string;
  readonly entry: PutEventsRequestEntry;
  readonly bytes: number;
  readonly row: { readonly pk: string; readonly sk: string; readonly sagaId: string; readonly eventId: string; readonly type: string };
  /** The last error code PutEvents gave this entry. */
  lastError?: string;
}

/** Size EventBridge charges against the request limit for one entry. */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  for (const s of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) if (s) size += Buffer.byteLength(s, 'utf8');
  return size;
}

/** Splits entries into PutEvents calls of ≤10 entries and ≤ maxBytes each, keeping order. */
export function chunkEntries<T extends { bytes: number }>(items: readonly T[], maxBytes = PUT_EVENTS_MAX_BYTES): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length === PUT_EVENTS_MAX_ENTRIES || (current.length > 0 && bytes + item.bytes > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * The outbox relay: DynamoDB stream records (outbox INSERTs) → EventBridge PutEvents. The source is
 * derived from the row's key prefix — never from its content — so a participant cannot publish in
 * another's name. Retryable per-entry failures are retried with backoff; what still fails is
 * reported in `batchItemFailures` so Lambda retries from there (bisecting, then the on-failure
 * destination). Consumers dedupe on the envelope's `eventId`, so re-publishing is safe.
 *
 * @example
 * ```ts
 * export const handler = createRelayHandler(orderSaga, relayDepsFromEnv());
 * ```
 */
export function createRelayHandler(def: AnySagaDefinition, deps: RelayDeps): (event: DynamoDBStreamEvent, context?: InvocationContext) => Promise<DynamoDBBatchResponse> {
  const maxAttempts = deps.maxAttempts ?? 4;
  const baseBackoff = deps.baseBackoffMs ?? 50;
  const sleep = deps.sleep ?? realSleep;
  const clock = deps.clock ?? systemClock;

  async function toPending(record: DynamoDBRecord): Promise<Pending | undefined> {
    if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) return undefined;
    const image = unmarshall(record.dynamodb.NewImage as never) as Record<string, unknown>;
    if (image[KEY.kind] !== ITEM_KIND.outbox) return undefined;
    const sequenceNumber = record.dynamodb.SequenceNumber ?? '';
    const pk = String(image[KEY.partition] ?? '');
    const producer = producerOfOutboxKey(pk);
    const parsed = typeof image.detail === 'string' ? safeJson(image.detail) : undefined;
    const checked = envelopeSchema['~standard'].validate(parsed);
    const envelope = checked.issues ? undefined : checked.value;
    let problem: string | undefined;
    if (!producer) problem = `outbox key ${JSON.stringify(pk)} does not name a producer`;
    else if (!envelope) problem = `detail is not a saga envelope (${describeIssues(checked.issues ?? [], parsed)})`;
    else if (envelope.producer !== producer) problem = `row under "${producer}#outbox#" claims producer ${JSON.stringify(envelope.producer)}`;
    else if (!emittableBy(definitionForVersion(def, envelope.definitionVersion) ?? def, producer).includes(envelope.type)) problem = `"${producer}" may not emit ${JSON.stringify(envelope.type)}`;
    if (problem || !producer || !envelope) {
      await recordRejection(deps.client, deps.tableName, {
        consumer: 'relay',
        messageId: `${pk}|${String(image[KEY.sort])}`,
        reason: problem?.includes('may not emit') || problem?.includes('claims producer') ? 'forged-source' : 'invalid-outbox-row',
        message: `Outbox row not published: ${problem}.`,
        body: JSON.stringify(image).slice(0, 70_000),
        now: clock.now(),
      });
      deps.metrics.count(METRIC.rejections, 1, { Participant: 'relay' });
      const claimed = parsed as { sagaId?: unknown; eventId?: unknown } | undefined;
      logger.log('error', 'outbox row rejected', { sagaId: image.sagaId ?? claimed?.sagaId, eventId: image.eventId ?? claimed?.eventId, producer, pk, problem });
      return undefined;
    }
    const entry: PutEventsRequestEntry = {
      EventBusName: deps.eventBusName,
      Source: sourceFor(def, producer),
      DetailType: envelope.type,
      Detail: image.detail as string,
      // The trace the producing step ran in: EventBridge carries it to the targets (SQS's
      // AWSTraceHeader), so the next participant's segment joins the saga's trace.
      ...(validTraceHeader(image.traceHeader as string | undefined) ? { TraceHeader: image.traceHeader as string } : {}),
    };
    const row = { pk, sk: String(image[KEY.sort] ?? ''), sagaId: envelope.sagaId, eventId: envelope.eventId, type: envelope.type };
    return { sequenceNumber, entry, bytes: entrySize(entry), row };
  }

  /** Publishes one chunk, retrying retryable entries; returns the entries that finally failed. */
  async function publish(chunk: Pending[]): Promise<Pending[]> {
    let remaining = chunk;
    // Non-retryable failures of every attempt: an attempt that also has retryable ones goes on
    // with those alone, and must not forget these (they would be lost: reported as published).
    const failed: Pending[] = [];
    for (let attempt = 1; ; attempt++) {
      let results: PutEventsResultEntry[];
      try {
        const out = await deps.eventBridge.send(new PutEventsCommand({ Entries: remaining.map((p) => p.entry) }));
        results = out.Entries ?? [];
      } catch (error) {
        // Logged per entry below (each line with its saga's ids), as a failed entry.
        results = remaining.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: `PutEvents call failed: ${(error as Error).message}` }));
      }
      const retry: Pending[] = [];
      remaining.forEach((p, i) => {
        const r = results[i];
        if (r && !r.ErrorCode && r.EventId) {
          logger.log('debug', 'event published', { ...rowFields(p), attempt, busEventId: r.EventId, traced: p.entry.TraceHeader !== undefined });
          return deps.metrics.count(METRIC.eventsPublished, 1, { Saga: def.name });
        }
        p.lastError = `${r?.ErrorCode ?? 'InternalFailure'}: ${r?.ErrorMessage ?? 'no result for the entry'}`;
        (RETRYABLE_ENTRY_ERRORS.has(r?.ErrorCode ?? 'InternalFailure') ? retry : failed).push(p);
        logger.log('warn', 'PutEvents entry failed', { ...rowFields(p), attempt, code: r?.ErrorCode ?? 'InternalFailure', errorMessage: r?.ErrorMessage, sequenceNumber: p.sequenceNumber });
      });
      if (retry.length === 0 || attempt >= maxAttempts) {
        const all = [...failed, ...retry];
        if (all.length) deps.metrics.count(METRIC.publishFailures, all.length, { Saga: def.name });
        return all;
      }
      remaining = retry;
      await sleep(baseBackoff * 2 ** (attempt - 1));
    }
  }

  const logger = contextual(deps.logger);
  return (event, context?: InvocationContext) => withLogFields({ ...invocationFields(context), saga: def.name, component: 'relay' }, () => relayBatch(event));

  async function relayBatch(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    const pending: Pending[] = [];
    for (const record of event.Records) {
      const p = await toPending(record);
      if (p) pending.push(p);
    }
    const failedSeqs: string[] = [];
    for (const chunk of chunkEntries(pending, deps.maxRequestBytes ?? PUT_EVENTS_MAX_BYTES)) {
      for (const f of await publish(chunk)) {
        failedSeqs.push(f.sequenceNumber);
        // The stream source retries the record, but may give it up: leave a note for the reconciler.
        await recordUnpublished(deps.client, deps.tableName, f.row, f.lastError ?? 'unknown', clock.now()).catch((error: unknown) =>
          logger.log('error', 'could not note an unpublished outbox row', { ...rowFields(f), pk: f.row.pk, sk: f.row.sk, error: (error as Error).message }),
        );
      }
    }
    return { batchItemFailures: failedSeqs.map((itemIdentifier) => ({ itemIdentifier })) };
  }
}

/** The saga's ids of one outbox row, for its log lines (one relay batch mixes sagas). */
function rowFields(p: Pending) {
  return { sagaId: p.row.sagaId, eventId: p.row.eventId, type: p.row.type, producer: producerOfOutboxKey(p.row.pk) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
