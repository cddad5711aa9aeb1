import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { orderSaga } from '../../functions/order/definition.js';
import {
  assertValidDefinition,
  defineSaga,
  SagaCoreError,
  TIMEOUT_EVENT,
  VerificationError,
  verifyDefinition,
  type VerificationFinding,
} from '../../lib/core/index.js';

const payload = z.object({ id: z.string() });
const errors = (findings: VerificationFinding[]): VerificationFinding[] => findings.filter((f) => f.severity === 'error');
const withCode = (findings: VerificationFinding[], code: VerificationFinding['code']): VerificationFinding[] =>
  findings.filter((f) => f.code === code);

describe('verifyDefinition — reference saga', () => {
  it('verifies the reference order saga with no findings at all', () => {
    expect(verifyDefinition(orderSaga)).toEqual([]);
    expect(assertValidDefinition(orderSaga)).toEqual([]);
  });

  it('is deterministic', () => {
    const broken = defineSaga({
      name: 'det',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: payload, Mid: payload, Orphan: payload, Done: payload, Failed: payload },
      participants: {
        alpha: { steps: { one: { on: 'Start', emits: ['Mid'] } } },
        beta: { steps: { two: { on: 'Mid', emits: ['Done', 'Orphan'], failsWith: ['Failed'] } } },
      },
      terminal: { success: ['Done'], failure: ['Failed'] },
    });
    const first = verifyDefinition(broken);
    expect(first.length).toBeGreaterThan(1);
    expect(verifyDefinition(broken)).toEqual(first);
    // errors come before warnings
    const severities = first.map((f) => f.severity);
    expect(severities).toEqual([...severities].sort((a, b) => (a === b ? 0 : a === 'error' ? -1 : 1)));
  });
});

describe('verifyDefinition — rules', () => {
  it('fails if a consumed event is produced by nobody (unproduced-event)', () => {
    const def = defineSaga({
      name: 'unproduced',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: payload, Ghost: payload, Done: payload },
      participants: {
        alpha: { steps: { begin: { on: 'Start', emits: ['Done'] } } },
        beta: { steps: { haunt: { on: 'Ghost', emits: ['Done'] } } },
      },
      terminal: { success: ['Done'], failure: [] },
    });
    const [finding, ...rest] = withCode(verifyDefinition(def), 'unproduced-event');
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ severity: 'error', event: 'Ghost', participant: 'beta', step: 'haunt' });
    expect(finding?.message).toContain('"Ghost"');
    expect(finding?.message).toContain('beta.haunt');
    expect(finding?.message).toMatch(/emits/);
  });

  it('fails if a produced event is consumed by nobody and is not terminal (unconsumed-event)', () => {
    const def = defineSaga({
      name: 'unconsumed',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: payload, Orphan: payload, Done: payload },
      participants: {
        alpha: { steps: { begin: { on: 'Start', emits: ['Done'], failsWith: ['Orphan'] } } },
      },
      terminal: { success: ['Done'], failure: [] },
    });
    const findings = verifyDefinition(def);
    const [finding, ...rest] = withCode(findings, 'unconsumed-event');
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ severity: 'error', event: 'Orphan', participant: 'alpha', step: 'begin' });
    expect(finding?.message).toContain('"Orphan"');
    expect(finding?.message).toContain('alpha.begin');
    expect(finding?.message).toContain('terminal');
    // the dead end is explained by the unconsumed event; no second error about it
    expect(withCode(findings, 'no-terminal-reachable')).toEqual([]);
  });

  it('fails if nobody reacts to SagaTimedOut — as a warning (timeout-ignored)', () => {
    const def = defineSaga({
      name: 'no-timeout',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: payload, Done: payload },
      participants: { alpha: { steps: { finish: { on: 'Start', emits: ['Done'] } } } },
      terminal: { success: ['Done'], failure: [] },
    });
    const findings = verifyDefinition(def);
    expect(errors(findings)).toEqual([]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'timeout-ignored', severity: 'warning', event: TIMEOUT_EVENT });
    expect(findings[0]?.message).toContain(TIMEOUT_EVENT);
    expect(findings[0]?.message).toContain('nothing compensates');
    expect(() => assertValidDefinition(def)).not.toThrow();
  });

  it('fails if reactions form a cycle (reaction-cycle), reporting the path', () => {
    const def = defineSaga({
      name: 'cycle',
      version: 1,
      deadlineSeconds: 60,
      start: 'A',
      events: { A: payload, B: payload, Done: payload },
      participants: {
        alpha: { steps: { ping: { on: 'A', emits: ['B'], mustSucceed: true } } },
        beta: { steps: { pong: { on: 'B', emits: ['A', 'Done'], mustSucceed: true } } },
      },
      terminal: { success: ['Done'], failure: [] },
    });
    const cycles = withCode(verifyDefinition(def), 'reaction-cycle');
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toMatchObject({ severity: 'error', event: 'A', participant: 'alpha', step: 'ping' });
    expect(cycles[0]?.message).toContain('A → alpha.ping → B → beta.pong → A');
  });

  it('fails if a cycle runs through a compensation (reaction-cycle)', () => {
    const def = defineSaga({
      name: 'comp-cycle',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: payload, Done: payload, Undo: payload, Undone: payload },
      participants: {
        alpha: {
          steps: { act: { on: 'Start', emits: ['Done'], compensation: { on: [TIMEOUT_EVENT, 'Undone'], emits: ['Undo'] } } },
        },
        beta: { steps: { react: { on: 'Undo', emits: ['Undone'], mustSucceed: true } } },
      },
      terminal: { success: ['Done'], failure: ['Undone'] },
    });
    const cycles = withCode(verifyDefinition(def), 'reaction-cycle');
    expect(cycles).toHaveLength(1);
    expect(cycles[0]?.message).toContain('Undo → beta.react → Undone → alpha.act (compensation) → Undo');
  });

  it('fails if one participant reacts to the same event twice (duplicate-reaction)', () => {
    const def = defineSaga({
      name: 'duplicate',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: payload, Done: payload, Failed: payload, Undone: payload },
      participants: {
        alpha: {
          steps: {
            first: { on: 'Start', emits: ['Done'], failsWith: ['Failed'], compensation: { on: [TIMEOUT_EVENT], emits: ['Undone'] } },
            second: { on: 'Start', emits: ['Done'], mustSucceed: true },
            third: { on: 'Failed', emits: ['Undone'], compensation: { on: ['Failed'], emits: ['Undone'] } },
          },
        },
      },
      terminal: { success: ['Done'], failure: ['Undone'] },
    });
    const dups = withCode(verifyDefinition(def), 'duplicate-reaction');
    expect(dups).toHaveLength(2);
    expect(dups[0]).toMatchObject({ severity: 'error', participant: 'alpha', event: 'Start' });
    expect(dups[0]?.message).toContain('"alpha"');
    expect(dups[0]?.message).toContain('"Start"');
    expect(dups[0]?.message).toContain('alpha.first, alpha.second');
    expect(dups[0]?.message).toMatch(/[Mm]erge/);
    expect(dups[1]).toMatchObject({ severity: 'error', participant: 'alpha', event: 'Failed' });
    expect(dups[1]?.message).toContain('alpha.third, alpha.third (compensation)');
  });

  it('fails if a step with an effect has no compensation and a failure can follow (missing-compensation)', () => {
    const def = defineSaga({
      name: 'no-comp',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: payload, Reserved: payload, Charged: payload, Declined: payload },
      participants: {
        stock: { steps: { reserve: { on: 'Start', emits: ['Reserved'] } } },
        pay: { steps: { charge: { on: 'Reserved', emits: ['Charged'], failsWith: ['Declined'], pivot: true } } },
      },
      terminal: { success: ['Charged'], failure: ['Declined'] },
    });
    const missing = withCode(verifyDefinition(def), 'missing-compensation');
    expect(missing.map((f) => [f.participant, f.step, f.event])).toEqual([
      ['stock', 'reserve', 'Declined'],
      ['stock', 'reserve', TIMEOUT_EVENT],
    ]);
    expect(missing[0]?.message).toContain('stock.reserve');
    expect(missing[0]?.message).toContain('no compensation');
    expect(missing[0]?.message).toContain('"Declined"');
    expect(missing[0]?.message).toContain('Start → stock.reserve → Reserved → pay.charge (fails) → Declined');
    expect(missing[0]?.message).toMatch(/pivot \/ mustSucceed/);
  });

  it('does not require compensation from pivot or mustSucceed steps, nor after the pivot', () => {
    const def = defineSaga({
      name: 'forward',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: payload, Charged: payload, Shipped: payload, Declined: payload },
      participants: {
        pay: { steps: { charge: { on: 'Start', emits: ['Charged'], failsWith: ['Declined'], pivot: true } } },
        ship: { steps: { send: { on: 'Charged', emits: ['Shipped'], mustSucceed: true } } },
      },
      terminal: { success: ['Shipped'], failure: ['Declined'] },
    });
    expect(errors(verifyDefinition(def))).toEqual([]);
  });

  it('fails if a middle step is compensated on the business-failure path but not on the timeout path (missing-compensation)', () => {
    const def = defineSaga({
      name: 'timeout-gap',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: payload, A: payload, B: payload, Done: payload, CFailed: payload, Undo1: payload, Released: payload },
      participants: {
        alpha: { steps: { reserve: { on: 'Start', emits: ['A'], compensation: { on: ['Undo1'], emits: ['Released'] } } } },
        beta: { steps: { hold: { on: 'A', emits: ['B'], compensation: { on: ['CFailed'], emits: ['Undo1'] } } } },
        gamma: {
          steps: {
            charge: {
              on: 'B',
              emits: ['Done'],
              failsWith: ['CFailed'],
              pivot: true,
              compensation: { on: [TIMEOUT_EVENT], emits: ['Undo1'] },
            },
          },
        },
      },
      terminal: { success: ['Done'], failure: ['Released'] },
    });
    const findings = verifyDefinition(def);
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding).toMatchObject({
      code: 'missing-compensation',
      severity: 'error',
      participant: 'beta',
      step: 'hold',
      event: TIMEOUT_EVENT,
    });
    expect(finding?.message).toContain('beta.hold');
    expect(finding?.message).toContain('"CFailed"'); // its current trigger
    expect(finding?.message).toContain(`after failure "${TIMEOUT_EVENT}"`);
    expect(finding?.message).toContain(
      'Start → alpha.reserve → A → beta.hold → B → (deadline passes) → SagaTimedOut → gamma.charge (compensation) → Undo1 → alpha.reserve (compensation) → Released',
    );
  });

  it('fails if a terminal event can never be produced (unreachable-terminal)', () => {
    const def = defineSaga({
      name: 'unreachable',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: payload, Done: payload, Refunded: payload },
      participants: { alpha: { steps: { finish: { on: 'Start', emits: ['Done'] } } } },
      terminal: { success: ['Done'], failure: ['Refunded'] },
    });
    const findings = withCode(verifyDefinition(def), 'unreachable-terminal');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'error', event: 'Refunded' });
    expect(findings[0]?.message).toContain('"Refunded"');
    expect(findings[0]?.message).toContain('terminal.failure');
  });

  it('fails if a terminal event is produced only by reactions no run reaches (unreachable-terminal)', () => {
    const def = defineSaga({
      name: 'unreachable-2',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: payload, Done: payload, Never: payload, Cleaned: payload },
      participants: {
        alpha: { steps: { finish: { on: 'Start', emits: ['Done'] } } },
        beta: { steps: { cleanup: { on: 'Never', emits: ['Cleaned'] } } },
      },
      terminal: { success: ['Done'], failure: ['Cleaned'] },
    });
    const findings = verifyDefinition(def);
    expect(withCode(findings, 'unproduced-event').map((f) => f.event)).toEqual(['Never']);
    const unreachable = withCode(findings, 'unreachable-terminal');
    expect(unreachable.map((f) => f.event)).toEqual(['Cleaned']);
    expect(unreachable[0]?.message).toContain('beta');
  });

  it('fails if a run can end without any terminal event (no-terminal-reachable)', () => {
    const def = defineSaga({
      name: 'dead-end',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: payload, Worked: payload, Rejected: payload, Done: payload },
      participants: {
        alpha: { steps: { work: { on: 'Start', emits: ['Worked'], failsWith: ['Rejected'], pivot: true } } },
        beta: { steps: { finish: { on: 'Worked', emits: ['Done'], mustSucceed: true } } },
        gamma: { steps: { note: { on: 'Rejected' } } },
      },
      terminal: { success: ['Done'], failure: [] },
    });
    const findings = errors(verifyDefinition(def));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'no-terminal-reachable', event: 'Rejected', participant: 'gamma', step: 'note' });
    expect(findings[0]?.message).toContain('gamma.note');
    expect(findings[0]?.message).toContain('Start → alpha.work (fails) → Rejected → gamma.note');
  });

  it('fails if a compensation is triggered by a success terminal — as a warning (compensation-on-success-path)', () => {
    const def = defineSaga({
      name: 'comp-success',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: payload, Done: payload, Undone: payload },
      participants: {
        alpha: { steps: { act: { on: 'Start', emits: ['Done'], compensation: { on: ['Done', TIMEOUT_EVENT], emits: ['Undone'] } } } },
      },
      terminal: { success: ['Done'], failure: ['Undone'] },
    });
    const findings = verifyDefinition(def);
    expect(errors(findings)).toEqual([]);
    const [finding, ...rest] = withCode(findings, 'compensation-on-success-path');
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ severity: 'warning', event: 'Done', participant: 'alpha', step: 'act' });
    expect(finding?.message).toContain('alpha.act');
    expect(finding?.message).toContain('"Done"');
  });

  it('fails if the path enumeration hits its cap — as a warning (path-analysis-capped)', () => {
    const findings = verifyDefinition(orderSaga, { maxRuns: 2 });
    const capped = withCode(findings, 'path-analysis-capped');
    expect(capped).toHaveLength(1);
    expect(capped[0]?.severity).toBe('warning');
    expect(errors(findings)).toEqual([]);
  });
});

describe('assertValidDefinition', () => {
  it('fails if the definition has errors, throwing a VerificationError that lists every error', () => {
    const def = defineSaga({
      name: 'many',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: payload, Ghost: payload, Orphan: payload, Done: payload, Refunded: payload },
      participants: {
        alpha: { steps: { begin: { on: 'Start', emits: ['Done', 'Orphan'] }, haunt: { on: 'Ghost', emits: ['Done'] } } },
      },
      terminal: { success: ['Done'], failure: ['Refunded'] },
    });
    const findings = verifyDefinition(def);
    const errs = errors(findings);
    expect(new Set(errs.map((f) => f.code))).toEqual(
      new Set(['unproduced-event', 'unconsumed-event', 'missing-compensation', 'unreachable-terminal']),
    );
    let thrown: unknown;
    try {
      assertValidDefinition(def);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(VerificationError);
    expect(thrown).toBeInstanceOf(SagaCoreError);
    const error = thrown as VerificationError;
    expect(error.name).toBe('VerificationError');
    expect(error.findings).toEqual(errs);
    const lines = error.message.split('\n');
    expect(lines[0]).toContain(`${errs.length} choreography errors`);
    expect(lines.slice(1)).toHaveLength(errs.length);
    errs.forEach((f, i) => expect(lines[i + 1]).toContain(f.message));
    // warnings are not listed
    expect(error.message).not.toContain('timeout-ignored');
  });
});
