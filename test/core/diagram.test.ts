import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { orderSaga } from '../../functions/order/definition.js';
import { allReactions, defineSaga, TIMEOUT_EVENT, toMermaid, toTextSummary } from '../../lib/core/index.js';

const steps = (): [string, string][] =>
  Object.entries(orderSaga.participants).flatMap(([p, spec]) => Object.keys(spec.steps).map((s): [string, string] => [p, s]));
const events = [...Object.keys(orderSaga.events), TIMEOUT_EVENT];

describe('toMermaid', () => {
  const chart = toMermaid(orderSaga);

  it('draws a flowchart LR with every participant step as a rectangle', () => {
    expect(chart.startsWith('flowchart LR\n')).toBe(true);
    for (const [p, s] of steps()) expect(chart).toContain(`st_${p}__${s}["${p}.${s}"]`);
    expect(chart).toContain('subgraph p_inventory["inventory"]');
  });

  it('draws every event as a stadium node', () => {
    for (const e of events) expect(chart).toContain(`ev_${e}(["${e}"])`);
  });

  it('draws forward triggers and emits as solid arrows, failures labelled', () => {
    expect(chart).toContain('ev_OrderRequested --> st_inventory__reserveStock');
    expect(chart).toContain('st_inventory__reserveStock --> ev_StockReserved');
    expect(chart).toContain('st_inventory__reserveStock -->|fails| ev_StockUnavailable');
    expect(chart).toContain('st_payment__capturePayment -->|fails| ev_PaymentDeclined');
  });

  it('draws every compensation trigger and emit as a dashed "compensate" arrow', () => {
    // (the implicit ReservationExpired reactions of TCC steps are the reconciler's, not drawn)
    const compensations = allReactions(orderSaga).filter((r) => r.phase === 'compensate' && !r.expiry);
    expect(compensations.length).toBe(6);
    for (const r of compensations) {
      expect(chart).toContain(`ev_${r.event} -.->|compensate| st_${r.participant}__${r.step}`);
      for (const e of r.mayEmit) expect(chart).toContain(`st_${r.participant}__${r.step} -.->|compensate| ev_${e}`);
    }
    expect(chart).toContain('ev_SagaTimedOut -.->|compensate| st_payment__capturePayment');
    expect(chart).toContain('st_order__createOrder -.->|compensate| ev_OrderCancelled');
    expect(chart.match(/-\.->\|compensate\|/g)).toHaveLength(9); // 6 triggers + 3 emits
  });

  it('draws the confirmation of a TCC step as a thick "confirm" arrow', () => {
    expect(chart).toContain('ev_OrderCompleted ==>|confirm| st_points__freezePoints');
    expect(chart).toContain('ev_StockReleased -.->|compensate| st_points__freezePoints');
  });

  it('shows the initiator and the reconciler as sources and styles failures and terminals', () => {
    expect(chart).toContain('src_initiator -->|start| ev_OrderRequested');
    expect(chart).toContain('src_reconciler -.->|deadline| ev_SagaTimedOut');
    expect(chart).toMatch(/classDef terminalSuccess /);
    expect(chart).toMatch(/classDef terminalFailure /);
    expect(chart).toMatch(/classDef failure /);
    expect(chart).toContain('class ev_OrderCompleted terminalSuccess');
    expect(chart).toContain('class ev_StockUnavailable,ev_StockReleased terminalFailure');
    expect(chart).toContain('class ev_PointsUnavailable,ev_PaymentDeclined,ev_SagaTimedOut failure');
    expect(chart).toContain('class st_payment__capturePayment pivot');
  });

  it('is byte-identical across calls', () => {
    expect(toMermaid(orderSaga)).toBe(chart);
    expect(Buffer.from(toMermaid(orderSaga)).equals(Buffer.from(chart))).toBe(true);
  });

  it('makes node ids safe for participant names with dashes', () => {
    const def = defineSaga({
      name: 'dash',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: z.object({}), Done: z.object({}) },
      participants: { 'credit-check': { steps: { run: { on: 'Start', emits: ['Done'] } } } },
      terminal: { success: ['Done'], failure: [] },
    });
    const text = toMermaid(def);
    expect(text).toContain('st_credit_check__run["credit-check.run"]');
    expect(text).toContain('ev_Start --> st_credit_check__run');
  });
});

describe('toTextSummary', () => {
  it('lists participants, their steps, events and terminals', () => {
    const text = toTextSummary(orderSaga);
    for (const [p, s] of steps()) {
      expect(text).toContain(`  ${p}`);
      expect(text).toContain(`    ${s}: on `);
    }
    for (const e of events) expect(text).toMatch(new RegExp(`^  ${e} +from `, 'm'));
    expect(text).toContain('capturePayment: on PointsFrozen → emits PaymentCaptured; fails with PaymentDeclined [pivot]');
    expect(text).toContain('compensation: on PaymentDeclined | PaymentVoided | PointsUnavailable → emits OrderCancelled');
    expect(text).toContain('freezePoints: on OrderCreated → emits PointsFrozen; fails with PointsUnavailable [TCC: try / confirm / cancel]');
    expect(text).toContain('confirmation: on OrderCompleted → emits nothing');
    expect(text).toContain('success: OrderCompleted');
    expect(text).toContain('failure: StockUnavailable, StockReleased');
    expect(toTextSummary(orderSaga)).toBe(text);
  });
});
