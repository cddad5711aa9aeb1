import fc from 'fast-check';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RecordOutcome } from '../../lib/runtime/participant/handler.js';
import { LAB_LIMIT, labHandlers, labRecord, logFor, modelStep, readLab, storedStateOf, type LabMessage } from '../support/barrier-lab.js';
import { freshTable } from '../support/dynamo.js';
import { UNSAFE_breakBarrierForTests } from '../support/unsafe-barrier.js';

/**
 * Property-based tests of the subtransaction barrier, on the real participant handler and
 * DynamoDB Local. fast-check generates arbitrary interleavings of forward / compensate (plain
 * step) and try / confirm / cancel (TCC step) deliveries, with duplicates and two different
 * compensation triggers; each case runs on its own saga id.
 *
 * - sequentially, every delivery must do exactly what the barrier's state machine says (model);
 * - concurrently (deliveries of a wave race on DynamoDB Local, as parallel Lambda batches would),
 *   the outcome must be the outcome of *some* order of the deliveries, and the invariants hold:
 *   at most one effect per phase, a compensation only after its forward step (else a null
 *   compensation, without effect), no forward effect after a compensation, never confirm and cancel.
 */

type Result = 'effect' | 'null' | 'duplicate' | 'refused' | 'retry' | 'error';

function resultOf(o: RecordOutcome | undefined): Result {
  if (!o || !('kind' in o)) return 'error';
  switch (o.kind) {
    case 'committed':
      return o.state === 'failed' || o.state === 'voided' ? 'null' : 'effect';
    case 'duplicate':
      return 'duplicate';
    case 'hanging-refused':
    case 'conflict':
      return 'refused';
    case 'retry':
      return 'retry';
    case 'rejected':
      // A TCC phase conflict is kept as a rejection record (reason phase-conflict): refused.
      return o.reason === 'phase-conflict' ? 'refused' : 'error';
    default:
      return 'error';
  }
}

const plainMessage = fc.record({ participant: fc.constant('a' as const), phase: fc.constantFrom('forward' as const, 'compensate' as const), copy: fc.integer({ min: 0, max: 1 }) });
const tccMessage = fc.record({ participant: fc.constant('b' as const), phase: fc.constantFrom('forward' as const, 'compensate' as const, 'confirm' as const), copy: fc.integer({ min: 0, max: 1 }) });
const scenario = (message: fc.Arbitrary<LabMessage>) =>
  fc.record({
    messages: fc.array(message, { minLength: 1, maxLength: 8 }),
    fails: fc.boolean(),
    waves: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 8, maxLength: 8 }),
  });

let table: Awaited<ReturnType<typeof freshTable>>;
let handlers: ReturnType<typeof labHandlers>;
let sagaSeq = 0;
beforeAll(async () => {
  table = await freshTable('barrier-pbt');
  handlers = labHandlers(table.client, table.tableName);
});

const handlerOf = (p: 'a' | 'b'): ((e: SQSEvent) => Promise<SQSBatchResponse>) => handlers[p];

interface Env {
  readonly table: Awaited<ReturnType<typeof freshTable>>;
  readonly handlers: ReturnType<typeof labHandlers>;
}

/** Delivers the messages one by one (retries go to the back of the queue) and checks each against the model. */
function sequentialProperty(env: Env, message: fc.Arbitrary<LabMessage>) {
  return fc.asyncProperty(scenario(message), async ({ messages, fails }) => {
    const sagaId = `s-pbt-seq-${String(++sagaSeq).padStart(6, '0')}`;
    const participant = messages[0]!.participant;
    const amount = fails ? LAB_LIMIT + 1 : 10;
    // SQS redelivers what asked to be retried, after everything already queued.
    const queue = [...messages];
    let state: string | undefined;
    let delivery = 0;
    for (let turn = 0; turn < messages.length * 3 && queue.length > 0; turn++) {
      const m = queue.shift()!;
      const record = labRecord(sagaId, m, amount, delivery++);
      await env.handlers[participant]({ Records: [record] });
      const got = resultOf(env.handlers.outcomes.get(record.messageId));
      const expected = modelStep(participant, state, m.phase, fails);
      expect(got, `${m.phase} in state ${state ?? 'absent'}`).toBe(expected.result);
      state = expected.next;
      if (got === 'retry') queue.push(m);
    }
    const stored = await readLab(env.table.client, env.table.tableName, participant, sagaId);
    expect(stored.state).toBe(storedStateOf(state));
    expect(stored.log).toEqual(logFor(participant, state));
  });
}

describe('barrier, property-based (fast-check, DynamoDB Local)', () => {
  for (const [name, message] of [
    ['plain step: forward / compensate', plainMessage],
    ['TCC step: try / confirm / cancel', tccMessage],
  ] as const) {
    it(`${name}: sequential deliveries follow the barrier's state machine exactly`, async () => {
      await fc.assert(sequentialProperty({ table, handlers }, message), { numRuns: 40 });
    });

    it(`${name}: concurrent deliveries end as some sequential order would, with at most one effect per phase`, async () => {
      await fc.assert(
        fc.asyncProperty(scenario(message), async ({ messages, fails, waves }) => {
          const sagaId = `s-pbt-par-${String(++sagaSeq).padStart(6, '0')}`;
          const participant = messages[0]!.participant;
          const amount = fails ? LAB_LIMIT + 1 : 10;
          let pending = [...messages];
          let delivery = 0;
          const delivered: LabMessage[] = [];
          const results: { m: LabMessage; r: Result }[] = [];
          for (let round = 0; pending.length > 0 && round < 8 * waves.length; round++) {
            const size = waves[round % waves.length]!;
            const wave = pending.slice(0, size);
            pending = pending.slice(size);
            const records = wave.map((m) => ({ m, record: labRecord(sagaId, m, amount, delivery++) }));
            // One record per invocation, all at once: parallel Lambda batches racing on the same barrier.
            await Promise.all(records.map(({ record }) => handlerOf(participant)({ Records: [record] })));
            for (const { m, record } of records) {
              const r = resultOf(handlers.outcomes.get(record.messageId));
              expect(r, `${m.phase}: ${JSON.stringify(handlers.outcomes.get(record.messageId))}`).not.toBe('error');
              if (r === 'retry') pending.push(m);
              else {
                delivered.push(m);
                results.push({ m, r });
              }
            }
          }
          const stored = await readLab(table.client, table.tableName, participant, sagaId);
          // The effect log is exactly what the final barrier state says took effect: one effect per phase at most.
          expect(stored.log).toEqual(logFor(participant, stored.state));
          // The final state is the one of some sequential order of the deliveries that completed.
          expect(reachableStates(participant, delivered, fails)).toContain(stored.state ?? 'absent');
          // A compensation that committed leaves the step undone for good: no forward effect after it.
          if (results.some(({ m, r }) => m.phase === 'compensate' && (r === 'effect' || r === 'null'))) expect(['compensated', 'voided']).toContain(stored.state);
          // Never two effects of one phase, never confirm and cancel.
          expect(results.filter(({ m, r }) => m.phase === 'forward' && r === 'effect').length).toBeLessThanOrEqual(1);
          expect(results.filter(({ m, r }) => m.phase !== 'forward' && r === 'effect').length).toBeLessThanOrEqual(1);
        }),
        { numRuns: 30 },
      );
    });
  }

  it('fails if the barrier is broken (the property can fail): a test-only switch drops its conditions', async () => {
    // GIVEN the same handlers on a client whose step transactions lose the barrier condition
    const broken = await freshTable('barrier-pbt-broken');
    UNSAFE_breakBarrierForTests(broken.client);
    const env = { table: broken, handlers: labHandlers(broken.client, broken.tableName) };
    // WHEN the sequential property runs
    const result = await fc.check(sequentialProperty(env, plainMessage), { numRuns: 100, seed: 42 });
    // THEN fast-check finds a counterexample (a duplicate applied twice, or a forward step after its compensation)
    expect(result.failed).toBe(true);
    expect(String(result.errorInstance)).toMatch(/expected|toBe|toEqual/i);
  });
});

/** Every final state some order of `messages` can produce (set semantics, small inputs). */
function reachableStates(participant: 'a' | 'b', messages: readonly LabMessage[], fails: boolean): string[] {
  const out = new Set<string>();
  const phases = messages.map((m) => m.phase);
  const walk = (state: string | undefined, left: readonly LabMessage['phase'][]): void => {
    if (left.length === 0) {
      out.add(storedStateOf(state) ?? 'absent');
      return;
    }
    const seen = new Set<string>();
    left.forEach((phase, i) => {
      if (seen.has(phase)) return;
      seen.add(phase);
      walk(modelStep(participant, state, phase, fails).next, [...left.slice(0, i), ...left.slice(i + 1)]);
    });
  };
  walk(undefined, phases);
  return [...out];
}
