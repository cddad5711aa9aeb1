import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { orderSaga } from '../../functions/order/definition.js';
import { defineSaga, TIMEOUT_EVENT } from '../../lib/core/definition.js';
import { postPivotSteps } from '../../lib/core/model.js';

const p = z.object({});

describe('postPivotSteps: forward steps that can only run after a pivot succeeded', () => {
  it('finds the reference saga’s completeOrder, and nothing before the pivot', () => {
    expect([...postPivotSteps(orderSaga)]).toEqual(['order.completeOrder']);
  });

  it('follows chains past the pivot, and leaves out a step whose event is also produced before it', () => {
    const def = defineSaga({
      name: 'chain',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: p, Held: p, Charged: p, Declined: p, Shipped: p, Notified: p, Voided: p, Released: p },
      participants: {
        a: { steps: { hold: { on: 'Start', emits: ['Held'], compensation: { on: ['Declined', 'Voided'], emits: ['Released'] } } } },
        b: { steps: { charge: { on: 'Held', emits: ['Charged'], failsWith: ['Declined'], pivot: true, compensation: { on: [TIMEOUT_EVENT], emits: ['Voided'] } } } },
        c: { steps: { ship: { on: 'Charged', emits: ['Shipped'] } } },
        d: { steps: { notify: { on: 'Shipped', emits: ['Notified'], mustSucceed: true } } },
      },
      terminal: { success: ['Notified'], failure: ['Declined', 'Released'] },
    });
    expect([...postPivotSteps(def)].sort()).toEqual(['c.ship', 'd.notify']);
  });
});
