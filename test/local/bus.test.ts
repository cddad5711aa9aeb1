import { EventBridgeClient, ListRulesCommand, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEventBridgeBody } from '../../lib/core/envelope.js';
import { subscriptionPattern } from '../../lib/core/model.js';
import { LocalBusValidationError, LocalEventBus } from '../../lib/local/bus.js';
import { VirtualClock } from '../../lib/local/clock.js';
import { LocalQueue } from '../../lib/local/queue.js';
import { entrySize, PUT_EVENTS_MAX_BYTES } from '../../lib/runtime/relay/relay.js';
import { shopPayloads, shopSaga } from '../fixtures/shop-saga.js';
import { envelope, T0, testSagaId } from '../support/events.js';

/** LocalEventBus against EventBridge PutEvents and rule-delivery semantics. */

function setup() {
  const clock = new VirtualClock(T0);
  let n = 0;
  const bus = new LocalEventBus('shop-bus', clock, () => `id-${++n}`);
  const queue = (name: string) => new LocalQueue(name, clock, () => `${name}-${++n}`);
  return { clock, bus, queue };
}

const entry = (overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  EventBusName: 'shop-bus',
  Source: 'saga.shop.initiator',
  DetailType: 'OrderPlaced',
  Detail: JSON.stringify(envelope(shopSaga, { type: 'OrderPlaced', producer: 'initiator', sagaId: testSagaId(), payload: shopPayloads.orderPlaced('o-1', 'sku-1') })),
  ...overrides,
});

const clients: EventBridgeClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});
function attachedClient(bus: LocalEventBus): EventBridgeClient {
  const client = new EventBridgeClient({ region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  clients.push(client);
  bus.attachTo(client);
  return client;
}

describe('LocalEventBus: PutEvents limits', () => {
  it('fails if a call has more than 10 entries: the whole request is refused, nothing published', () => {
    const { bus } = setup();
    expect(() => bus.putEvents(Array.from({ length: 11 }, () => entry()))).toThrow(LocalBusValidationError);
    expect(bus.archive).toEqual([]);
  });

  it('fails if a call has no entries', () => {
    const { bus } = setup();
    expect(() => bus.putEvents([])).toThrow(/1 to 10 entries, got 0/);
  });

  it('fails if a call is over the request size limit, counting Source + DetailType + Detail', () => {
    // GIVEN two entries that fit alone but not together
    const { bus } = setup();
    const big = (n: number) => entry({ Detail: JSON.stringify({ pad: 'x'.repeat(n) }) });
    const overhead = entrySize(big(0));
    const half = PUT_EVENTS_MAX_BYTES / 2 - overhead + 4; // each entry 4 bytes over half the limit
    // THEN
    expect(() => bus.putEvents([big(half), big(half)])).toThrow(/bytes; the limit is/);
    expect(bus.archive).toEqual([]);
    expect(bus.putEvents([big(half)])).toHaveLength(1);
    // exactly at the limit is accepted
    expect(entrySize(big(PUT_EVENTS_MAX_BYTES - overhead))).toBe(PUT_EVENTS_MAX_BYTES);
    expect(bus.putEvents([big(PUT_EVENTS_MAX_BYTES - overhead)])[0]?.EventId).toBeTruthy();
  });

  it('accepts exactly 10 entries', () => {
    const { bus } = setup();
    expect(bus.putEvents(Array.from({ length: 10 }, () => entry())).every((r) => r.EventId)).toBe(true);
  });
});

describe('LocalEventBus: per-entry results', () => {
  it('returns index-aligned per-entry errors for malformed entries while the others are published', () => {
    // GIVEN a call mixing good and malformed entries
    const { bus } = setup();
    const results = bus.putEvents([
      entry(),
      entry({ Detail: '{"not json' }),
      entry({ Detail: '[1,2,3]' }),
      entry({ Source: undefined }),
      entry({ EventBusName: 'other-bus' }),
      entry(),
    ]);
    // THEN
    expect(results.map((r) => r.ErrorCode ?? 'ok')).toEqual(['ok', 'MalformedDetail', 'MalformedDetail', 'MalformedDetail', 'ResourceNotFoundException', 'ok']);
    expect(results.filter((r) => r.ErrorCode).every((r) => !r.EventId && r.ErrorMessage)).toBe(true);
    expect(bus.archive).toHaveLength(2);
  });

  it('assigns a fresh event id to every entry, even when the same entry is put twice', () => {
    const { bus } = setup();
    const e = entry();
    const [a] = bus.putEvents([e]);
    const [b] = bus.putEvents([e]);
    expect(a?.EventId).toBeTruthy();
    expect(b?.EventId).toBeTruthy();
    expect(a?.EventId).not.toBe(b?.EventId);
    expect(bus.archive.map((x) => x.id)).toEqual([a?.EventId, b?.EventId]);
  });

  it('injects per-entry faults through entryFault', () => {
    const { bus } = setup();
    bus.entryFault = (e) => (e.DetailType === 'StockReserved' ? 'ThrottlingException' : undefined);
    const results = bus.putEvents([entry(), entry({ DetailType: 'StockReserved' })]);
    expect(results.map((r) => r.ErrorCode)).toEqual([undefined, 'ThrottlingException']);
    expect(bus.archive).toHaveLength(1);
  });
});

describe('LocalEventBus: delivery to rules', () => {
  it('delivers the EventBridge event JSON only to queues whose rule matches', () => {
    // GIVEN stock subscribed to OrderPlaced from the initiator, billing to StockReserved
    const { bus, queue } = setup();
    const stock = queue('stock');
    const billing = queue('billing');
    bus.addRule('stock-OrderPlaced', subscriptionPattern(shopSaga, 'OrderPlaced'), stock);
    bus.addRule('billing-StockReserved', subscriptionPattern(shopSaga, 'StockReserved'), billing);
    // WHEN an OrderPlaced from the initiator and a forged one from billing are published
    bus.putEvents([entry(), entry({ Source: 'saga.shop.billing' })]);
    // THEN only the genuine one reaches stock, nothing reaches billing
    expect(stock.size).toBe(1);
    expect(billing.size).toBe(0);
    const body = parseEventBridgeBody(stock.receive(1)[0]!.body);
    expect(body).toMatchObject({ version: '0', id: 'id-1', source: 'saga.shop.initiator', 'detail-type': 'OrderPlaced', account: '000000000000', time: '2026-01-01T00:00:00Z', resources: [] });
    expect(body.detail).toMatchObject({ type: 'OrderPlaced', definition: 'shop' });
  });

  it('delivers one event to every matching rule (fan-out)', () => {
    const { bus, queue } = setup();
    const a = queue('a');
    const b = queue('b');
    bus.addRule('a', { source: [{ prefix: 'saga.shop.' }] }, a);
    bus.addRule('b', { 'detail-type': ['OrderPlaced'] }, b);
    bus.putEvents([entry()]);
    expect([a.size, b.size]).toEqual([1, 1]);
  });

  it('stamps the event time from the entry’s Time, else from the virtual clock', () => {
    const { bus, clock } = setup();
    clock.advance(1_500);
    bus.putEvents([entry(), entry({ Time: new Date('2026-02-03T04:05:06.789Z') })]);
    expect(bus.archive.map((e) => e.time)).toEqual(['2026-01-01T00:00:01Z', '2026-02-03T04:05:06Z']);
  });
});

describe('LocalEventBus.attachTo: an EventBridgeClient lands in the bus', () => {
  it('serves PutEventsCommand from the bus with EventBridge’s response shape', async () => {
    // GIVEN a real SDK client attached to the bus
    const { bus, queue } = setup();
    const target = queue('t');
    bus.addRule('all', { source: [{ prefix: 'saga.' }] }, target);
    const client = attachedClient(bus);
    // WHEN
    const out = await client.send(new PutEventsCommand({ Entries: [entry(), entry({ Detail: 'nope' })] }));
    // THEN
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.map((e) => e.ErrorCode ?? e.EventId)).toEqual(['id-1', 'MalformedDetail']);
    expect(bus.calls).toBe(1);
    expect(target.size).toBe(1);
  });

  it('fails if the request is refused as a whole: the client call rejects with ValidationException', async () => {
    const { bus } = setup();
    const client = attachedClient(bus);
    await expect(client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry()) }))).rejects.toMatchObject({ name: 'ValidationException' });
    expect(bus.archive).toEqual([]);
  });

  it('fails if another command is sent: the local bus serves PutEvents only', async () => {
    const { bus } = setup();
    const client = attachedClient(bus);
    await expect(client.send(new ListRulesCommand({}))).rejects.toThrow(/supports PutEvents only, not ListRulesCommand/);
  });
});
