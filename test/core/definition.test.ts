import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineSaga, DefinitionError, type PayloadOf } from '../../lib/core/index.js';
import type { ForwardContext, StepImplementations } from '../../lib/runtime/participant/step-types.js';
import { orderSaga, type OrderSaga } from '../../functions/order/definition.js';

const base = {
  name: 'demo',
  version: 1,
  deadlineSeconds: 60,
  start: 'Started',
  events: { Started: z.object({ id: z.string() }), Finished: z.object({ id: z.string(), total: z.number() }) },
  participants: { worker: { steps: { work: { on: 'Started', emits: ['Finished'] } } } },
  terminal: { success: ['Finished'], failure: [] },
} as const;

describe('defineSaga', () => {
  it('returns a frozen definition tagged as one', () => {
    const def = defineSaga(base);
    expect(def.kind).toBe('saga-definition');
    expect(Object.isFrozen(def)).toBe(true);
  });

  it('infers payload types from the event schemas', () => {
    expectTypeOf<PayloadOf<OrderSaga, 'OrderRequested'>>().toEqualTypeOf<{ orderId: string; customerId: string; sku: string; quantity: number; amountCents: number; pointsToRedeem?: number | undefined }>();
    expectTypeOf<PayloadOf<OrderSaga, 'SagaTimedOut'>>().toEqualTypeOf<{ deadline: string; reason: string }>();
    type Ctx = ForwardContext<OrderSaga, OrderSaga['participants']['inventory']['steps']['reserveStock']>;
    expectTypeOf<Ctx['payload']['quantity']>().toEqualTypeOf<number>();
    // emit only accepts the step's declared events, with their payload types
    expectTypeOf<Parameters<Ctx['emit']>[0]>().toEqualTypeOf<'StockReserved' | 'StockUnavailable'>();
    const typed: StepImplementations<OrderSaga, 'payment'> = {
      capturePayment: {
        forward: (ctx) => {
          // @ts-expect-error OrderCreated is not an event capturePayment may emit
          ctx.emit('OrderCreated', { orderId: 'x', amountCents: 1, customerId: 'c' });
          // @ts-expect-error done() takes success events only, not the failure event
          return ctx.done(ctx.emit('PaymentDeclined', { orderId: 'x', reason: 'r' }));
        },
        compensate: (ctx) => ctx.ignore('typed'),
      },
    };
    expect(typeof typed.capturePayment.forward).toBe('function');
    expect(orderSaga.participants.payment.steps.capturePayment.pivot).toBe(true);
  });

  it('fails if a step refers to an unknown event, naming it and the known ones', () => {
    expect(() => defineSaga({ ...base, participants: { worker: { steps: { work: { on: 'Strated' as 'Started', emits: ['Finished'] } } } } })).toThrow(
      /participant "worker" step "work" "on" refers to unknown event "Strated"\. Known events: Started, Finished, SagaTimedOut/,
    );
  });

  it('fails if a participant uses a reserved name', () => {
    expect(() => defineSaga({ ...base, participants: { relay: base.participants.worker } })).toThrow(DefinitionError);
    expect(() => defineSaga({ ...base, participants: { relay: base.participants.worker } })).toThrow(/reserved for the framework/);
  });

  it('fails if the version is not a positive integer', () => {
    expect(() => defineSaga({ ...base, version: 0 })).toThrow('version must be a positive integer, got 0');
  });

  it('fails if the deadline is not positive', () => {
    expect(() => defineSaga({ ...base, deadlineSeconds: -5 })).toThrow('deadlineSeconds must be a positive number of seconds, got -5');
  });

  it('fails if an event has no Standard Schema', () => {
    expect(() => defineSaga({ ...base, events: { ...base.events, Finished: {} as never } })).toThrow(/event "Finished" needs a Standard Schema/);
  });

  it('fails if a mustSucceed step declares failsWith', () => {
    expect(() =>
      defineSaga({ ...base, participants: { worker: { steps: { work: { on: 'Started', emits: ['Finished'], failsWith: ['Finished'], mustSucceed: true } } } } }),
    ).toThrow(/mustSucceed but declares failsWith/);
  });
});
