import { describe, expect, it } from 'vitest';
import type { RecordOutcome } from '../../lib/runtime/participant/handler.js';
import { labHandlers, labRecord, logFor, modelStep, readLab, storedStateOf, type LabMessage } from '../support/barrier-lab.js';
import { freshTable } from '../support/dynamo.js';

/**
 * Exhaustive check of a two-participant saga: participant `a` (plain step) receives its forward
 * event and its compensation, participant `b` (TCC step) its try and its cancel — a compensated
 * saga's four messages — plus one duplicate for each participant (of either of its messages).
 * Every distinct delivery order of those six messages (4 duplicate choices × 6!/(2!·2!) = 720
 * orders) runs on its own saga id through the real handlers on DynamoDB Local, and every delivery
 * must do what the barrier's state machine says.
 */

type Msg = LabMessage & { readonly key: string };

const A_FORWARD: Msg = { participant: 'a', phase: 'forward', copy: 0, key: 'aF' };
const A_COMP: Msg = { participant: 'a', phase: 'compensate', copy: 0, key: 'aC' };
const B_TRY: Msg = { participant: 'b', phase: 'forward', copy: 0, key: 'bT' };
const B_CANCEL: Msg = { participant: 'b', phase: 'compensate', copy: 0, key: 'bX' };

/** Distinct permutations of a multiset (identical messages are interchangeable). */
function* permutations(items: readonly Msg[]): Generator<Msg[]> {
  if (items.length === 0) {
    yield [];
    return;
  }
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const head = items[i]!;
    if (seen.has(head.key)) continue;
    seen.add(head.key);
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) yield [head, ...rest];
  }
}

function result(o: RecordOutcome | undefined): string {
  if (!o || !('kind' in o)) return 'error';
  if (o.kind === 'committed') return o.state === 'failed' || o.state === 'voided' ? 'null' : 'effect';
  if (o.kind === 'hanging-refused' || o.kind === 'conflict') return 'refused';
  return o.kind;
}

describe('barrier, exhaustive over delivery orders (two participants, one duplicate each)', () => {
  it('every order of every duplicate choice follows the state machine, and ends with the effects the final states imply', async () => {
    // GIVEN every distinct order of the six deliveries, for each choice of duplicated message
    const orders: Msg[][] = [];
    for (const aDup of [A_FORWARD, A_COMP]) for (const bDup of [B_TRY, B_CANCEL]) for (const p of permutations([A_FORWARD, A_COMP, B_TRY, B_CANCEL, aDup, bDup])) orders.push(p);
    expect(orders).toHaveLength(720);
    const { client, tableName } = await freshTable('barrier-exhaustive');
    const handlers = labHandlers(client, tableName);
    const failures: string[] = [];

    // WHEN each order is delivered, one message at a time, on its own saga (sagas run side by side)
    const runOrder = async (order: Msg[], index: number) => {
      const sagaId = `s-exh-${String(index).padStart(5, '0')}`;
      const state: Record<'a' | 'b', string | undefined> = { a: undefined, b: undefined };
      for (const [delivery, m] of order.entries()) {
        const record = labRecord(sagaId, m, 10, delivery);
        await handlers[m.participant]({ Records: [record] });
        const got = result(handlers.outcomes.get(record.messageId));
        const expected = modelStep(m.participant, state[m.participant], m.phase, false);
        if (got !== expected.result) failures.push(`${order.map((x) => x.key).join(' ')}: delivery ${delivery} (${m.key}) in state ${state[m.participant] ?? 'absent'} gave ${got}, expected ${expected.result}`);
        state[m.participant] = expected.next;
      }
      // THEN the stored barrier state and the business effects are the model's
      for (const p of ['a', 'b'] as const) {
        const stored = await readLab(client, tableName, p, sagaId);
        if (stored.state !== storedStateOf(state[p]) || JSON.stringify(stored.log) !== JSON.stringify(logFor(p, state[p]))) {
          failures.push(`${order.map((x) => x.key).join(' ')}: ${p} ended ${stored.state} with effects [${stored.log}], expected ${state[p]} with [${logFor(p, state[p])}]`);
        }
      }
    };
    const lanes = 8;
    await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
      for (let i = lane; i < orders.length; i += lanes) await runOrder(orders[i]!, i);
    }));

    expect(failures).toEqual([]);
    // AND the orders covered every way the two phases can meet at each participant
    const firstSeen = new Set(orders.map((o) => `${o.find((m) => m.participant === 'a')!.key}/${o.find((m) => m.participant === 'b')!.key}`));
    expect([...firstSeen].sort()).toEqual(['aC/bT', 'aC/bX', 'aF/bT', 'aF/bX']);
  }, 900_000); // 34 s alone; minutes when the simulation test shares the machine
});
