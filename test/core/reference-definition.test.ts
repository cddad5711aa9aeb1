import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderSagaZodMini } from '../../bench/fixtures/order-definition-zod-mini.js';
import type { EventSchema } from '../../lib/core/definition.js';
import { describeIssues } from '../../lib/core/schema-issues.js';
import { orderSaga } from '../../functions/order/definition.js';

// The reference definition's schemas moved from zod/mini to valibot to shrink participant bundles.
// They must keep every constraint: here each valibot schema is held to the zod/mini schema it
// replaced (bench/fixtures/order-definition-zod-mini.ts) on generated payloads.

const events = Object.keys(orderSaga.events) as (keyof typeof orderSaga.events)[];

const validate = (schema: EventSchema, value: unknown) => schema['~standard'].validate(value) as { value?: unknown; issues?: readonly { message: string }[] };

/**
 * Values a field of the reference payloads could be, valid or not (both sides of each bound).
 * Strings of one UTF-16 unit per character: on astral characters the two libraries measure
 * length differently (the last test).
 */
const fieldValue = fc.oneof(
  fc.constantFrom('', 'o-1', 'x'.repeat(64), 'x'.repeat(65), 0, 1, -1, 1.5, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), null, undefined, true, [], {}),
  fc.string({ maxLength: 70, unit: 'binary-ascii' }),
  fc.string({ maxLength: 70, unit: 'grapheme-composite' }),
  fc.integer({ min: -3, max: 3 }),
  fc.double({ noNaN: true }),
);

/** A payload for `event`: its own keys (some missing), each a generated value, plus an unknown key. */
function payloadFor(event: string): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys((orderSagaZodMini.events as Record<string, { def: { shape: object } }>)[event]!.def.shape);
  const record = Object.fromEntries([...keys, 'extra'].map((k) => [k, fieldValue]));
  return fc.record(record, { requiredKeys: [] });
}

describe('reference definition (valibot) keeps the constraints it had in zod/mini', () => {
  it('declares the same choreography as the zod/mini version', () => {
    const shape = ({ events: e, ...rest }: typeof orderSaga | typeof orderSagaZodMini) => ({ ...rest, events: Object.keys(e) });
    expect(shape(orderSaga)).toEqual(shape(orderSagaZodMini));
  });

  it.each(events)('%s: the same payloads pass, with the same output, and the same fail', (event) => {
    const ours = orderSaga.events[event] as EventSchema;
    const before = (orderSagaZodMini.events as Record<string, EventSchema>)[event]!;
    fc.assert(
      fc.property(payloadFor(event), (payload) => {
        const a = validate(ours, payload);
        const b = validate(before, payload);
        expect(a.issues === undefined, `${event} ${JSON.stringify(payload)}: valibot ${a.issues ? describeIssues(a.issues) : 'accepts'}, zod/mini ${b.issues ? describeIssues(b.issues) : 'accepts'}`).toBe(b.issues === undefined);
        if (!a.issues) expect(a.value).toStrictEqual(b.value);
      }),
      { numRuns: 600, seed: 15 },
    );
  });

  it('measures string length in UTF-16 units where zod 4.6 counts code points (documented in docs/performance.md)', () => {
    // 33 emoji are 66 UTF-16 units: valibot's maxLength(64) refuses them, zod/mini's let them through.
    const payload = { orderId: '😀'.repeat(33) };
    expect(validate(orderSaga.events.OrderCompleted, payload).issues).toBeDefined();
    expect(validate(orderSagaZodMini.events.OrderCompleted, payload).issues).toBeUndefined();
    expect(validate(orderSaga.events.OrderCompleted, { orderId: '😀'.repeat(32) }).issues).toBeUndefined();
  });

  it('names the field and what is wrong with it', () => {
    const payload = { orderId: '', customerId: 'c-1', sku: 's', quantity: 0, amountCents: 1.5 };
    const text = describeIssues(validate(orderSaga.events.OrderRequested, payload).issues!, payload);
    expect(text).toMatch(/^orderId: .*1.*; quantity: .*0.*; amountCents: .*1\.5/);
  });
});
