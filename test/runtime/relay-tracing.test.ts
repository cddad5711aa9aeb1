import { EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lib/runtime/shared/aws-clients.js';
import { jsonLogger, withTraceHeader } from '../../lib/runtime/shared/logging.js';
import { buildOutboxRow, type OutboxRow } from '../../lib/runtime/shared/outbox.js';
import { InMemoryMetrics } from '../../lib/runtime/shared/ports.js';
import { createRelayHandler } from '../../lib/runtime/relay/relay.js';
import { shopPayloads, shopSaga } from '../fixtures/shop-saga.js';
import { T0, testId, testSagaId } from '../support/events.js';

/**
 * The trace context of a step travels with its events: the outbox row keeps the X-Ray trace
 * header the step ran under, and the relay hands it to PutEvents as the entry's `TraceHeader`, so
 * EventBridge, the target queue and the next participant join the saga's trace. The EventBridge
 * SDK client is real; its PutEvents is answered at the SDK boundary (a middleware), no bus.
 */

const HEADER = 'Root=1-6754a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1';
const savedTrace = process.env._X_AMZN_TRACE_ID;
afterEach(() => {
  if (savedTrace === undefined) delete process.env._X_AMZN_TRACE_ID;
  else process.env._X_AMZN_TRACE_ID = savedTrace;
});

/** An EventBridge client whose PutEvents calls are recorded and answered (accepted, or failed per entry) before any HTTP. */
function recordingEventBridge(failWith?: string) {
  const calls: PutEventsRequestEntry[][] = [];
  const client = new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  client.middlewareStack.add(
    () => async (args) => {
      const entries = (args.input as { Entries: PutEventsRequestEntry[] }).Entries;
      calls.push(entries);
      const results = entries.map((_, i) => (failWith ? { ErrorCode: failWith, ErrorMessage: 'refused by the test' } : { EventId: `bus-${calls.length}-${i}` }));
      return { output: { $metadata: { httpStatusCode: 200 }, FailedEntryCount: failWith ? entries.length : 0, Entries: results }, response: {} } as never;
    },
    { step: 'initialize', name: 'answerPutEvents' },
  );
  return { client, calls };
}

/** The stream record Lambda would hand the relay for the INSERT of `row`. */
function insertRecord(row: OutboxRow, sequenceNumber: string): DynamoDBRecord {
  return {
    eventName: 'INSERT',
    dynamodb: { Keys: marshall({ pk: row.pk, sk: row.sk }) as never, NewImage: marshall(row, { removeUndefinedValues: true }) as never, SequenceNumber: sequenceNumber, StreamViewType: 'NEW_IMAGE' },
  };
}

const orderPlaced = (sagaId: string) => ({ def: shopSaga, producer: 'initiator', sagaId, emission: { type: 'OrderPlaced', payload: shopPayloads.orderPlaced('o-1', 'sku-1') }, eventId: testId('ev'), now: T0 });

function relayWith(eventBridge: EventBridgeClient, lines: Record<string, unknown>[] = []) {
  return createRelayHandler(shopSaga, {
    eventBridge,
    eventBusName: 'shop-bus',
    // Only used for rejection records and unpublished notes, which these tests never write.
    client: createDocumentClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    tableName: 'unused',
    maxAttempts: 1,
    sleep: async () => undefined,
    logger: jsonLogger('debug', { write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }),
    metrics: new InMemoryMetrics(),
  });
}

describe('trace context through the outbox into PutEvents', () => {
  it('stores the trace header of the record being handled in the outbox row, and the relay passes it as TraceHeader', async () => {
    // GIVEN an outbox row built while a record that came with a trace header is handled
    const row = await withTraceHeader(HEADER, () => buildOutboxRow(orderPlaced(testSagaId())));
    expect(row.traceHeader).toBe(HEADER);
    const bus = recordingEventBridge();
    const lines: Record<string, unknown>[] = [];
    // WHEN the relay publishes it
    const response = await relayWith(bus.client, lines)({ Records: [insertRecord(row, '100')] }, { awsRequestId: 'req-1' });
    // THEN the PutEvents entry carries the header, and the log line of the publish says so with the saga's ids
    expect(response.batchItemFailures).toEqual([]);
    expect(bus.calls).toHaveLength(1);
    expect(bus.calls[0]![0]).toMatchObject({ Source: 'saga.shop.initiator', DetailType: 'OrderPlaced', TraceHeader: HEADER });
    expect(lines).toEqual([expect.objectContaining({ level: 'DEBUG', message: 'event published', requestId: 'req-1', sagaId: row.sagaId, eventId: row.eventId, producer: 'initiator', traced: true })]);
  });

  it("falls back to the invocation's own trace (_X_AMZN_TRACE_ID) when the record had none, e.g. at the start of a saga", async () => {
    process.env._X_AMZN_TRACE_ID = HEADER;
    const row = await buildOutboxRow(orderPlaced(testSagaId()));
    expect(row.traceHeader).toBe(HEADER);
  });

  it('leaves TraceHeader out when the step ran untraced (no header in the row)', async () => {
    delete process.env._X_AMZN_TRACE_ID;
    const row = await buildOutboxRow(orderPlaced(testSagaId()));
    expect(row).not.toHaveProperty('traceHeader');
    const bus = recordingEventBridge();
    await relayWith(bus.client)({ Records: [insertRecord(row, '101')] });
    expect(bus.calls[0]![0]).not.toHaveProperty('TraceHeader');
  });

  it('fails if a row carries a malformed trace header: it is neither stored nor passed on (PutEvents would refuse the entry)', async () => {
    delete process.env._X_AMZN_TRACE_ID;
    expect(await withTraceHeader('Root=not-a-trace', () => buildOutboxRow(orderPlaced(testSagaId())))).not.toHaveProperty('traceHeader');
    const forged = { ...(await buildOutboxRow(orderPlaced(testSagaId()))), traceHeader: 'Root=<script>' } as OutboxRow;
    const bus = recordingEventBridge();
    await relayWith(bus.client)({ Records: [insertRecord(forged, '102')] });
    expect(bus.calls[0]![0]).not.toHaveProperty('TraceHeader');
  });

  it('logs a failed entry with the ids of its own saga (one batch mixes sagas)', async () => {
    const a = await buildOutboxRow(orderPlaced(testSagaId('a')));
    const b = await buildOutboxRow(orderPlaced(testSagaId('b')));
    const bus = recordingEventBridge('ValidationException');
    const lines: Record<string, unknown>[] = [];
    const relay = relayWith(bus.client, lines);
    // The unpublished note cannot be written (no table): that line too must name its saga.
    const response = await relay({ Records: [insertRecord(a, '200'), insertRecord(b, '201')] }, { awsRequestId: 'req-2' });
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['200', '201']);
    const failed = lines.filter((l) => l.message === 'PutEvents entry failed');
    expect(failed.map((l) => [l.sagaId, l.eventId, l.code])).toEqual([
      [a.sagaId, a.eventId, 'ValidationException'],
      [b.sagaId, b.eventId, 'ValidationException'],
    ]);
    for (const l of lines) expect(l).toMatchObject({ requestId: 'req-2', saga: 'shop', sagaId: expect.any(String), timestamp: expect.any(String) });
  });
});
