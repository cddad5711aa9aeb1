import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { orderSaga } from '../../functions/order/definition.js';
import { defineSaga, TIMEOUT_EVENT, type StepSpec } from '../../lib/core/definition.js';
import { verifyDefinition } from '../../lib/core/verify/index.js';

/**
 * A corpus of choreographies that can (or cannot) break atomicity after their outcome is decided:
 * a forward step whose event is on its way when the deadline passes or a failure is decided, and
 * which commits late with nothing undoing or refusing it.
 */
const p = z.object({ id: z.string() });
const events = { TransferRequested: p, Debited: p, DebitRefused: p, Credited: p, CreditRefused: p, CreditVoided: p, Refunded: p };

/** The two-participant transfer of the bug report: debit, then credit; the debit compensates on failure or timeout. */
function transfer(credit: StepSpec<keyof typeof events | typeof TIMEOUT_EVENT>, refundOn: readonly (keyof typeof events | typeof TIMEOUT_EVENT)[] = ['CreditRefused', TIMEOUT_EVENT]) {
  return defineSaga({
    name: 'transfer',
    version: 1,
    deadlineSeconds: 60,
    start: 'TransferRequested',
    events,
    participants: {
      wallet: { steps: { debit: { on: 'TransferRequested', emits: ['Debited'], failsWith: ['DebitRefused'], compensation: { on: refundOn as never, emits: ['Refunded'] } } } },
      ledger: { steps: { credit: credit as never } },
    },
    terminal: { success: ['Credited'], failure: ['DebitRefused', 'Refunded'] },
  });
}

const errors = (def: ReturnType<typeof transfer>) => verifyDefinition(def).filter((f) => f.severity === 'error');

describe('verifier: no effect commits after the outcome is decided', () => {
  it('rejects the transfer that created money: a plain credit (no compensation, only terminal emits) can commit after SagaTimedOut refunded the debit', () => {
    const findings = errors(transfer({ on: 'Debited', emits: ['Credited'], failsWith: ['CreditRefused'] }));
    expect(findings.map((f) => f.code)).toEqual(['late-effect']);
    const [f] = findings;
    expect(f).toMatchObject({ participant: 'ledger', step: 'credit', event: 'Debited' });
    // The message names the run that breaks atomicity and the ways to fix it.
    expect(f!.message).toContain('TransferRequested → wallet.debit → Debited → (deadline passes) → SagaTimedOut');
    expect(f!.message).toContain('late Debited → ledger.credit');
    expect(f!.message).toMatch(/compensation.*pivot.*mustSucceed/s);
  });

  it('rejects a pivot credit with no compensation on the timeout: it can commit after the debit was refunded', () => {
    expect(errors(transfer({ on: 'Debited', emits: ['Credited'], failsWith: ['CreditRefused'], pivot: true })).map((f) => f.code)).toEqual(['late-effect']);
  });

  it('accepts the credit as a pivot whose timeout compensation starts the recovery (its null compensation refuses a late credit)', () => {
    const def = transfer({ on: 'Debited', emits: ['Credited'], failsWith: ['CreditRefused'], pivot: true, compensation: { on: [TIMEOUT_EVENT], emits: ['CreditVoided'] } }, ['CreditRefused', 'CreditVoided']);
    expect(errors(def)).toEqual([]);
  });

  it('accepts a compensable credit (undone, or refused by its tombstone, on the timeout recovery)', () => {
    const def = transfer({ on: 'Debited', emits: ['Credited'], failsWith: ['CreditRefused'], compensation: { on: [TIMEOUT_EVENT], emits: [] } });
    expect(errors(def)).toEqual([]);
  });

  it('accepts a must-succeed credit (forward recovery: it completes whatever the deadline)', () => {
    expect(errors(transfer({ on: 'Debited', emits: ['Credited'], mustSucceed: true }, [TIMEOUT_EVENT]))).toEqual([]);
  });

  it('rejects a step of a parallel branch that commits after the other branch failed, with nothing undoing it', () => {
    // Start fans out to a hotel booking (compensable) and a flight booking that is never undone;
    // the hotel failing ends the saga compensated while the flight may still book.
    const q = z.object({ id: z.string() });
    const def = defineSaga({
      name: 'trip',
      version: 1,
      deadlineSeconds: 60,
      start: 'TripRequested',
      events: { TripRequested: q, HotelBooked: q, HotelFull: q, FlightBooked: q, TripCancelled: q },
      participants: {
        hotel: { steps: { book: { on: 'TripRequested', emits: ['HotelBooked'], failsWith: ['HotelFull'], compensation: { on: [TIMEOUT_EVENT], emits: ['TripCancelled'] } } } },
        flight: { steps: { book: { on: 'TripRequested', emits: ['FlightBooked'], compensation: { on: [TIMEOUT_EVENT], emits: [] } } } },
      },
      terminal: { success: ['HotelBooked'], failure: ['HotelFull', 'TripCancelled'] },
    });
    const late = verifyDefinition(def).filter((f) => f.code === 'late-effect' || f.code === 'missing-compensation');
    expect(late.some((f) => f.participant === 'flight' && f.step === 'book')).toBe(true);
  });

  it('accepts the reference order saga', () => {
    expect(verifyDefinition(orderSaga).filter((f) => f.severity === 'error')).toEqual([]);
  });
});
