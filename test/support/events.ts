import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { AnySagaDefinition } from '../../lib/core/definition.js';
import type { Envelope, EventBridgeEvent } from '../../lib/core/envelope.js';
import { sourceFor } from '../../lib/core/model.js';

/**
 * Builders for real-shaped events: the EventBridge event a rule delivers to an SQS target (our
 * envelope in `detail`), and the SQS record Lambda hands to a participant — field for field what
 * `LocalQueue.toRecord` produces, so runtime tests feed handlers exactly what the local cloud does.
 */

export const T0 = Date.parse('2026-01-01T00:00:00.000Z');
export const ACCOUNT = '000000000000';

let seq = 0;
/** A deterministic, unique-per-process id of the right shape (a UUID). */
export function testId(prefix = 'e'): string {
  seq++;
  const hex = createHash('sha1').update(`${prefix}:${process.pid}:${seq}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A saga id of the accepted shape, unique per call. */
export function testSagaId(label = 's'): string {
  return `${label}-${testId('saga').replace(/-/g, '').slice(0, 20)}`;
}

export interface EnvelopeInput {
  readonly type: string;
  readonly producer: string;
  readonly sagaId: string;
  readonly payload: unknown;
  readonly eventId?: string;
  readonly occurredAt?: string;
  readonly definitionVersion?: number;
  readonly causationId?: string;
}

/** Our envelope as a producer's outbox row carries it. */
export function envelope(def: AnySagaDefinition, e: EnvelopeInput): Envelope {
  return {
    eventId: e.eventId ?? testId(),
    sagaId: e.sagaId,
    definition: def.name,
    definitionVersion: e.definitionVersion ?? def.version,
    type: e.type,
    producer: e.producer,
    ...(e.causationId ? { causationId: e.causationId } : {}),
    occurredAt: e.occurredAt ?? new Date(T0).toISOString(),
    payload: e.payload,
  };
}

/** The EventBridge event the bus delivers for an envelope: source derived from the producer, as the relay does. */
export function eventBridgeEvent(def: AnySagaDefinition, env: Envelope, overrides: Partial<EventBridgeEvent> = {}): EventBridgeEvent {
  return {
    version: '0',
    id: testId('eb'),
    'detail-type': env.type,
    source: sourceFor(def, env.producer),
    account: ACCOUNT,
    time: env.occurredAt.replace(/\.\d{3}Z$/, 'Z'),
    region: 'local',
    resources: [],
    detail: env,
    ...overrides,
  };
}

export interface SqsRecordOptions {
  readonly messageId?: string;
  readonly receiveCount?: number;
  readonly queueName?: string;
  readonly sentAt?: number;
}

/** An SQS record exactly as `LocalQueue.toRecord` (and Lambda's SQS event source) shapes it. */
export function sqsRecord(body: string | object, options: SqsRecordOptions = {}): SQSRecord {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const messageId = options.messageId ?? testId('m');
  const receiveCount = options.receiveCount ?? 1;
  const sentAt = options.sentAt ?? T0;
  return {
    messageId,
    receiptHandle: `${messageId}#${receiveCount}`,
    body: text,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(sentAt),
      SenderId: 'LOCALCLOUD',
      ApproximateFirstReceiveTimestamp: String(sentAt),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(text).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:local:${ACCOUNT}:${options.queueName ?? 'test-queue'}`,
    awsRegion: 'local',
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** One saga event as an SQS record in one call: envelope → EventBridge event → SQS record. */
export function sagaRecord(def: AnySagaDefinition, e: EnvelopeInput, options: SqsRecordOptions = {}): { record: SQSRecord; envelope: Envelope; event: EventBridgeEvent } {
  const env = envelope(def, e);
  const event = eventBridgeEvent(def, env);
  return { record: sqsRecord(event, options), envelope: env, event };
}

/** Reads a JSON fixture from `test/fixtures/events/` (real AWS event shapes). */
export function loadFixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8')) as unknown;
}
