import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSaga } from '../../../lib/core/definition.js';
import type { BarrierRecord } from '../../../lib/runtime/participant/barrier.js';
import { explainSaga } from '../../../lib/runtime/reconciler/explain.js';
import type { TrackedSaga } from '../../../lib/runtime/reconciler/types.js';

const id = z.object({ id: z.string() });
const trip = defineSaga({
  name: 'trip',
  version: 1,
  deadlineSeconds: 60,
  start: 'TripRequested',
  events: { TripRequested: id, HotelBooked: id, FlightBooked: id, HotelCancelled: id, TripBooked: id },
  participants: {
    hotel: { steps: { book: { on: 'TripRequested', emits: ['HotelBooked'], compensation: { on: ['SagaTimedOut'], emits: ['HotelCancelled'] } } } },
    flight: { steps: { book: { on: 'HotelBooked', emits: ['FlightBooked'], pivot: true, compensation: { on: ['SagaTimedOut'], emits: [] } } } },
    agent: { steps: { confirm: { on: 'FlightBooked', emits: ['TripBooked'], mustSucceed: true } } },
  },
  terminal: { success: ['TripBooked'], failure: ['HotelCancelled'] },
});

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const saga = (status: TrackedSaga['status'], events: [string, string, number][]): TrackedSaga => ({
  pk: 'saga#s', sk: 'saga', kind: 'saga', sagaId: 'trip-0001', definition: 'trip', definitionVersion: 1, status,
  startedAt: at(0), deadline: at(60), updatedAt: at(0), lastEventAt: at(0), version: 3,
  timeline: events.map(([type, producer, s], i) => ({ eventId: `e${i}`, type, producer, at: at(s) })),
});
const step = (participant: string, name: string, state: BarrierRecord['state'], emitted: string[] = []): BarrierRecord => ({
  pk: `${participant}#saga#trip-0001`, sk: `step#${name}`, kind: 'step', participant, step: name, sagaId: 'trip-0001', state, emitted,
});

describe('explainSaga', () => {
  it('names a compensation that was triggered but has not run', () => {
    const record = saga('compensating', [['TripRequested', 'initiator', 0], ['HotelBooked', 'hotel', 1], ['SagaTimedOut', 'reconciler', 61]]);
    const e = explainSaga(trip, record, [step('hotel', 'book', 'done', ['e1'])]);
    expect(e.stuck.map((s) => `${s.participant}.${s.step} ${s.phase} ${s.state}`)).toEqual(['hotel.book compensate done', 'flight.book compensate absent']);
    expect(e.summary).toMatch(/^stuck at hotel\.book compensation: it has not run: the step is still 'done' although SagaTimedOut arrived at .*\(and 1 more: flight\.book compensation\)$/);
    expect(e.steps.find((s) => s.participant === 'agent')?.state).toBe('absent');
  });

  it('does not call a done pivot stuck on a timeout, nor a forward step whose compensation was triggered', () => {
    const record = saga('compensating', [['TripRequested', 'initiator', 0], ['HotelBooked', 'hotel', 1], ['SagaTimedOut', 'reconciler', 61]]);
    const e = explainSaga(trip, record, [step('hotel', 'book', 'compensated', ['e1']), step('flight', 'book', 'done')]);
    expect(e.stuck).toEqual([]);
  });

  it('reports a must-succeed step waiting on its trigger, with the DLQ failure, and lost events', () => {
    const record: TrackedSaga = {
      ...saga('running', [['TripRequested', 'initiator', 0], ['HotelBooked', 'hotel', 1], ['FlightBooked', 'flight', 2]]),
      failures: [{ participant: 'agent', step: 'confirm', phase: 'forward', messageId: 'm-9', error: 'Error: CRM down', receiveCount: 5, at: at(40) }],
    };
    const e = explainSaga(trip, record, [step('hotel', 'book', 'done', ['e1']), step('flight', 'book', 'done', ['e2', 'e-lost'])]);
    expect(e.stuck).toHaveLength(1);
    expect(e.stuck[0]!.why).toContain('has not run although FlightBooked arrived');
    expect(e.stuck[0]!.why).toContain('message m-9 failed 5 time(s) (last error: Error: CRM down) and went to the agent DLQ');
    expect(e.lostEvents).toEqual([{ eventId: 'e-lost', emittedBy: 'flight.book' }]);
  });
});
