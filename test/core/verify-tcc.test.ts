import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { orderSaga } from '../../functions/order/definition.js';
import {
  allReactions,
  defineSaga,
  DefinitionError,
  emittableBy,
  producersOf,
  RECONCILER,
  RESERVATION_EXPIRED_EVENT,
  selectReaction,
  subscriptionPattern,
  subscriptionsOf,
  TIMEOUT_EVENT,
  verifyDefinition,
  type VerificationFinding,
} from '../../lib/core/index.js';

const p = z.object({ id: z.string() });
const codes = (findings: VerificationFinding[]): string[] => findings.filter((f) => f.severity === 'error').map((f) => f.code);

/** Start → hold (TCC try) → Held → charge → Charged (success) | Declined → … */
function tccSaga(overrides: { confirmOn?: string[]; cancelOn?: string[]; chargeOn?: string } = {}) {
  return defineSaga({
    name: 'tcc',
    version: 1,
    deadlineSeconds: 60,
    start: 'Start',
    events: { Start: p, Held: p, Charged: p, Declined: p, Voided: p, Released: p },
    participants: {
      wallet: {
        steps: {
          hold: {
            on: 'Start',
            emits: ['Held'],
            compensation: { on: (overrides.cancelOn ?? ['Declined', 'Voided']) as ('Declined' | 'Voided' | 'SagaTimedOut')[], emits: ['Released'] },
            confirmation: { on: (overrides.confirmOn ?? ['Charged']) as 'Charged'[] },
          },
        },
      },
      // The pivot reacts to the timeout and starts the recovery (newest first): its null compensation
      // refuses a charge that arrives after the deadline, and Voided releases the hold.
      card: { steps: { charge: { on: (overrides.chargeOn ?? 'Held') as 'Held', emits: ['Charged'], failsWith: ['Declined'], pivot: true, compensation: { on: [TIMEOUT_EVENT], emits: ['Voided'] } } } },
    },
    terminal: { success: ['Charged'], failure: ['Released'] },
  });
}

describe('TCC in the model', () => {
  it('a TCC step reacts with its try, its cancel, its confirm and (implicitly) to the reconciler\'s expiry', () => {
    const rs = allReactions(orderSaga).filter((r) => r.participant === 'points');
    expect(rs.map((r) => [r.phase, r.event, r.expiry ?? false])).toEqual([
      ['forward', 'OrderCreated', false],
      ['compensate', 'StockReleased', false],
      ['confirm', 'OrderCompleted', false],
      ['confirm', RESERVATION_EXPIRED_EVENT, true],
      ['compensate', RESERVATION_EXPIRED_EVENT, true],
    ]);
    expect(subscriptionsOf(orderSaga, 'points')).toEqual(['OrderCreated', 'StockReleased', 'OrderCompleted', RESERVATION_EXPIRED_EVENT]);
    expect(subscriptionsOf(orderSaga, 'inventory')).not.toContain(RESERVATION_EXPIRED_EVENT);
  });

  it('only the reconciler may publish the expiry, and a subscription can be narrowed to its participant', () => {
    expect(producersOf(orderSaga, RESERVATION_EXPIRED_EVENT)).toEqual([RECONCILER]);
    expect(emittableBy(orderSaga, RECONCILER)).toEqual([TIMEOUT_EVENT, RESERVATION_EXPIRED_EVENT]);
    expect(subscriptionPattern(orderSaga, RESERVATION_EXPIRED_EVENT, 'points')).toEqual({
      source: ['saga.order.reconciler'],
      'detail-type': [RESERVATION_EXPIRED_EVENT],
      detail: { definition: ['order'], definitionVersion: [1], payload: { participant: ['points'] } },
    });
    // a definition without TCC steps keeps the reconciler to the timeout
    const plain = defineSaga({ name: 'plain', version: 1, deadlineSeconds: 5, start: 'A', events: { A: p, B: p }, participants: { x: { steps: { s: { on: 'A', emits: ['B'] } } } }, terminal: { success: ['B'], failure: [] } });
    expect(emittableBy(plain, RECONCILER)).toEqual([TIMEOUT_EVENT]);
  });

  it('routes the expiry by its payload: step and decision pick the confirm or the cancel', () => {
    const payload = (decision: string, participant = 'points') => ({ participant, step: 'freezePoints', decision, sagaStatus: 'x', expiredAt: 'x' });
    expect(selectReaction(orderSaga, 'points', RESERVATION_EXPIRED_EVENT, payload('confirm'))?.phase).toBe('confirm');
    expect(selectReaction(orderSaga, 'points', RESERVATION_EXPIRED_EVENT, payload('cancel'))?.phase).toBe('compensate');
    expect(selectReaction(orderSaga, 'points', RESERVATION_EXPIRED_EVENT, payload('cancel', 'inventory'))).toBeUndefined();
    expect(selectReaction(orderSaga, 'points', 'OrderCompleted', {})?.phase).toBe('confirm');
  });
});

describe('defineSaga: TCC steps', () => {
  const base = tccSaga();
  const hold = base.participants.wallet.steps.hold;
  const withHold = (h: object) => ({ ...base, participants: { ...base.participants, wallet: { steps: { hold: { ...hold, ...h } } } } });

  it('fails if a confirmation has no compensation (a TCC step needs its cancel)', () => {
    expect(() => defineSaga(withHold({ compensation: undefined }) as never)).toThrow(/has a confirmation but no compensation/);
  });

  it('fails if a TCC step is also pivot or mustSucceed', () => {
    expect(() => defineSaga(withHold({ pivot: true }) as never)).toThrow(/is a TCC step .* and is also pivot/);
    expect(() => defineSaga(withHold({ mustSucceed: true }) as never)).toThrow(DefinitionError);
  });

  it('fails if one event triggers two phases, or a confirmation names an unknown event', () => {
    expect(() => defineSaga(withHold({ confirmation: { on: ['Declined'] } }) as never)).toThrow(/each event may trigger one phase only/);
    expect(() => defineSaga(withHold({ confirmation: { on: ['Chargd'] } }) as never)).toThrow(/confirmation "on" refers to unknown event "Chargd"/);
    expect(() => defineSaga(withHold({ confirmation: { on: [] } }) as never)).toThrow(/confirmation with an empty "on"/);
    expect(() => defineSaga(withHold({ confirmation: { on: ['Charged'], reservationSeconds: 0 } }) as never)).toThrow(/reservationSeconds must be a positive number/);
  });

  it('fails if the definition declares the built-in expiry event', () => {
    expect(() => defineSaga({ ...base, events: { ...base.events, [RESERVATION_EXPIRED_EVENT]: p } } as never)).toThrow(/is built in/);
  });
});

describe('verifyDefinition: TCC steps', () => {
  it('accepts a TCC step confirmed by the success terminal and cancelled on every failure (the reference saga too)', () => {
    expect(verifyDefinition(tccSaga())).toEqual([]);
    expect(verifyDefinition(orderSaga)).toEqual([]);
  });

  it('counts the cancel as the compensation: a failure path without it is a missing compensation', () => {
    const findings = verifyDefinition(tccSaga({ cancelOn: ['Declined'] })).filter((f) => f.severity === 'error');
    // (Voided, which nothing consumes now, is reported too.)
    expect(codes(findings)).toEqual(['unconsumed-event', 'missing-compensation']);
    expect(findings.find((f) => f.code === 'missing-compensation')).toMatchObject({ participant: 'wallet', step: 'hold', event: TIMEOUT_EVENT });
  });

  it('fails if the confirm can run before the try said yes (confirmation-without-try)', () => {
    // Confirm on the start event: the reservation may not exist yet; nothing collected the vote.
    const def = defineSaga({
      name: 'novote',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: p, Held: p, Go: p, Done: p, Declined: p, Released: p },
      participants: {
        wallet: {
          steps: {
            hold: { on: 'Start', emits: ['Held'], failsWith: ['Declined'], compensation: { on: ['Declined', TIMEOUT_EVENT], emits: ['Released'] }, confirmation: { on: ['Go'] } },
          },
        },
        starter: { steps: { go: { on: 'Start', emits: ['Go'], pivot: true } } },
        closer: { steps: { close: { on: 'Go', emits: ['Done'], mustSucceed: true } } },
      },
      terminal: { success: ['Done', 'Held'], failure: ['Released'] },
    });
    const findings = verifyDefinition(def).filter((f) => f.code === 'confirmation-without-try');
    expect(findings).toHaveLength(1);
    expect(findings[0]?.message).toContain('vote collection');
  });

  it('fails if a successful run leaves a reservation unconfirmed (unconfirmed-reservation)', () => {
    // The confirm listens to an event that the success path never produces.
    const def = tccSaga({ confirmOn: ['Released'], cancelOn: ['Declined', TIMEOUT_EVENT] });
    const found = verifyDefinition(def).filter((f) => f.severity === 'error').map((f) => f.code);
    expect(found).toContain('unconfirmed-reservation');
    expect(found).toContain('cancel-after-confirm'); // and on failure runs it would be confirmed after its cancel
  });
});
