import { orderKey, paymentKey, pointsAccountKey, stockKey } from '../../../functions/order/index.js';
import type { StoredView } from '../../local/app.js';
import type { StoredStep } from '../../local/simulation/stored-data.js';
import type { Violation } from '../../local/simulation/invariants.js';
import { plannedOrder, type PlannedOrder } from '../reference-app.js';

/** Invariants of the reference order application, checked on its stored business items. */
export const REFERENCE_INVARIANTS = [
  /** Per SKU: available + reserved = initial, neither negative, reserved = Σ quantities of reservations still done. */
  'stock-conserved',
  /** Per customer: available + frozen + spent = initial points, none negative; frozen = Σ open TCC reservations, spent = Σ confirmed ones. */
  'points-conserved',
  /** Σ captured payments − refunds + Σ points spent = Σ amounts of completed orders (1 point = 1 cent); each payment is its order's amount less its points. */
  'money-conserved',
  /** No order is both paid and cancelled. */
  'not-paid-and-cancelled',
  /** Business items exist exactly when their step records say the step took effect (no effect from a voided step). */
  'effects-match-barriers',
  /** A completed saga has its order completed and paid; a compensated one has neither. */
  'outcome-matches-data',
] as const;

export interface SimulatedOrder extends PlannedOrder {
  readonly sagaId: string;
  readonly customerId: string;
}

export interface ReferenceFigures {
  readonly stock: Record<string, { initial: number; available: number; reserved: number; soldToCompletedOrders: number }>;
  readonly points: { initial: number; available: number; frozen: number; spent: number; customers: number };
  readonly money: { capturedCents: number; refundedCents: number; pointsSpent: number; completedOrderCents: number; heldByFlaggedSagasCents: number };
}

type Item = Readonly<Record<string, unknown>>;

const stepOf = (steps: readonly StoredStep[] | undefined, participant: string, step: string) => steps?.find((s) => s.participant === participant && s.step === step);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);

/** The orders a run started, rebuilt from their start payloads and their place in the plan. */
export function simulatedOrders(started: StoredView['started']): SimulatedOrder[] {
  return started.map(({ index, sagaId, payload }) => {
    const p = payload as { orderId: string; customerId: string; sku: string; quantity: number; amountCents: number; pointsToRedeem?: number };
    const planned = plannedOrder(index, { points: true });
    return { orderId: p.orderId, scenario: planned.scenario, sku: p.sku, quantity: p.quantity, amountCents: p.amountCents, ...(p.pointsToRedeem ? { pointsToRedeem: p.pointsToRedeem } : {}), sagaId, customerId: p.customerId };
  });
}

const checked = new WeakMap<StoredView, { violations: Violation[]; figures: ReferenceFigures }>();

/**
 * Checks the reference application's invariants on a run's stored data (computed once per view;
 * the app module's named invariants each pick theirs); returns the violations and the figures
 * they were computed from. Initial stock and points are the `initial` the seed wrote on each item.
 */
export function checkReferenceInvariants(view: StoredView): { violations: Violation[]; figures: ReferenceFigures } {
  const cached = checked.get(view);
  if (cached) return cached;
  const byKey = new Map<string, Item>();
  const initialStock: Record<string, number> = {};
  const initialPoints: Record<string, number> = {};
  for (const participant of ['inventory', 'order', 'payment', 'points']) {
    for (const item of view.items(participant)) {
      byKey.set(`${String(item.pk)}\u0000${String(item.sk)}`, item);
      if (participant === 'inventory' && typeof item.sku === 'string') initialStock[item.sku] = num(item.initial);
      if (participant === 'points' && typeof item.customerId === 'string') initialPoints[item.customerId] = num(item.initial);
    }
  }
  const one = (key: { pk: string; sk: string }): Item | undefined => byKey.get(`${key.pk}\u0000${key.sk}`);
  const orders = simulatedOrders(view.started);
  const statusOf = new Map(view.sagas.map((s) => [s.sagaId, s.status]));
  const violations: Violation[] = [];
  const add = (invariant: (typeof REFERENCE_INVARIANTS)[number], message: string, where: { sagaId?: string; subject?: string } = {}) => violations.push({ invariant, ...where, message });

  // Reservations still standing, per SKU, from the inventory step records.
  const reservedBySteps: Record<string, number> = {};
  const soldBySku: Record<string, number> = {};
  let captured = 0;
  let completedCents = 0;
  let pointsSpentByOrders = 0;
  let heldByFlagged = 0;
  const frozenBySteps: Record<string, number> = {};
  const spentBySteps: Record<string, number> = {};

  for (const o of orders) {
    const where = { sagaId: o.sagaId, subject: o.orderId };
    const status = statusOf.get(o.sagaId);
    const steps = view.steps(o.sagaId);
    const reserve = stepOf(steps, 'inventory', 'reserveStock');
    const create = stepOf(steps, 'order', 'createOrder');
    const complete = stepOf(steps, 'order', 'completeOrder');
    const pay = stepOf(steps, 'payment', 'capturePayment');
    const freeze = stepOf(steps, 'points', 'freezePoints');
    const frozen = freeze?.data as { customerId?: string; points?: number } | undefined;
    const orderPoints = typeof frozen?.points === 'number' ? frozen.points : 0;
    if (freeze && (freeze.state === 'done' || freeze.state === 'confirmed' || freeze.state === 'compensated')) {
      if (frozen?.customerId !== o.customerId || orderPoints !== (o.pointsToRedeem ?? 0)) {
        add('effects-match-barriers', `points reservation remembers ${JSON.stringify(frozen)}, the order redeems ${o.pointsToRedeem ?? 0} of ${o.customerId}`, where);
      }
      const bucket = freeze.state === 'done' ? frozenBySteps : freeze.state === 'confirmed' ? spentBySteps : undefined;
      if (bucket) bucket[o.customerId] = (bucket[o.customerId] ?? 0) + orderPoints;
    }
    const order = one(orderKey(o.orderId));
    const payment = one(paymentKey(o.orderId));

    if (reserve?.state === 'done' || reserve?.state === 'compensated') {
      const d = reserve.data ?? {};
      if (d.sku !== o.sku || d.quantity !== o.quantity) add('effects-match-barriers', `reservation remembers ${JSON.stringify(d)}, the order asked for ${o.quantity} × ${o.sku}`, where);
    }
    if (reserve?.state === 'done') {
      reservedBySteps[o.sku] = (reservedBySteps[o.sku] ?? 0) + o.quantity;
      if (status === 'completed') soldBySku[o.sku] = (soldBySku[o.sku] ?? 0) + o.quantity;
    }

    const orderShouldExist = create?.state === 'done' || create?.state === 'compensated';
    if (order && !orderShouldExist) add('effects-match-barriers', `order row exists (${String(order.status)}) but createOrder is ${create?.state ?? 'absent'}: a forward step took effect after its compensation or without its barrier`, where);
    if (!order && orderShouldExist) add('effects-match-barriers', `createOrder is ${create?.state} but there is no order row`, where);
    if (order) {
      if (order.sagaId !== o.sagaId) add('effects-match-barriers', `order row belongs to saga ${String(order.sagaId)}`, where);
      if ((order.status === 'cancelled') !== (create?.state === 'compensated')) add('effects-match-barriers', `order is ${String(order.status)} while createOrder is ${create?.state}`, where);
      if ((order.status === 'completed') !== (complete?.state === 'done')) add('effects-match-barriers', `order is ${String(order.status)} while completeOrder is ${complete?.state ?? 'absent'}`, where);
    }
    if (Boolean(payment) !== (pay?.state === 'done')) add('effects-match-barriers', `payment row ${payment ? 'exists' : 'is missing'} while capturePayment is ${pay?.state ?? 'absent'}`, where);
    if (payment && payment.sagaId !== o.sagaId) add('effects-match-barriers', `payment row belongs to saga ${String(payment.sagaId)}`, where);

    const paid = payment?.status === 'captured';
    if (paid && order?.status === 'cancelled') add('not-paid-and-cancelled', `order is cancelled but payment ${String(payment?.paymentId)} was captured`, where);

    if (status === 'completed') {
      if (order?.status !== 'completed' || !paid || reserve?.state !== 'done' || freeze?.state !== 'confirmed') {
        add('outcome-matches-data', `saga completed but order is ${String(order?.status ?? 'missing')}, payment ${paid ? 'captured' : 'missing'}, reservation ${reserve?.state ?? 'absent'}, points ${freeze?.state ?? 'absent'}`, where);
      }
      if (o.scenario !== 'happy') add('outcome-matches-data', `a ${o.scenario} order completed`, where);
    } else if (status === 'compensated') {
      if (paid || order?.status === 'completed' || order?.status === 'created' || reserve?.state === 'done' || freeze?.state === 'done' || freeze?.state === 'confirmed') {
        add('outcome-matches-data', `saga compensated but order is ${String(order?.status ?? 'missing')}, payment ${paid ? 'captured' : 'missing'}, reservation ${reserve?.state ?? 'absent'}, points ${freeze?.state ?? 'absent'}`, where);
      }
    }

    const amount = num(payment?.amountCents);
    if (status === 'failed-needs-attention') {
      if (paid) heldByFlagged += amount;
      continue;
    }
    if (paid) captured += amount;
    if (order?.status === 'completed') {
      completedCents += num(order.amountCents);
      pointsSpentByOrders += freeze?.state === 'confirmed' ? orderPoints : 0;
      if (paid && amount !== Math.max(0, num(order.amountCents) - orderPoints)) add('money-conserved', `payment of ${amount} for an order of ${String(order.amountCents)} less ${orderPoints} points`, where);
    }
    if (paid !== (order?.status === 'completed')) add('money-conserved', `payment ${paid ? 'captured' : 'not captured'} but order is ${String(order?.status ?? 'missing')}`, where);
  }
  if (captured + pointsSpentByOrders !== completedCents) {
    add('money-conserved', `captured ${captured} − refunded 0 + points spent ${pointsSpentByOrders} ≠ completed orders ${completedCents} (cents)`);
  }

  const points = { initial: 0, available: 0, frozen: 0, spent: 0, customers: 0 };
  for (const [customerId, initial] of Object.entries(initialPoints)) {
    const item = one(pointsAccountKey(customerId));
    const available = num(item?.available);
    const frozen = num(item?.frozen);
    const spent = num(item?.spent);
    points.initial += initial;
    points.available += available;
    points.frozen += frozen;
    points.spent += spent;
    points.customers++;
    const subject = customerId;
    if (available + frozen + spent !== initial) add('points-conserved', `available ${available} + frozen ${frozen} + spent ${spent} ≠ initial ${initial}`, { subject });
    if (!(available >= 0 && frozen >= 0 && spent >= 0)) add('points-conserved', `negative points: available ${available}, frozen ${frozen}, spent ${spent}`, { subject });
    if (frozen !== (frozenBySteps[customerId] ?? 0)) add('points-conserved', `frozen ${frozen} ≠ ${frozenBySteps[customerId] ?? 0}, the sum of open reservations`, { subject });
    if (spent !== (spentBySteps[customerId] ?? 0)) add('points-conserved', `spent ${spent} ≠ ${spentBySteps[customerId] ?? 0}, the sum of confirmed reservations`, { subject });
  }

  const stock: ReferenceFigures['stock'] = {};
  for (const [sku, initial] of Object.entries(initialStock)) {
    const item = one(stockKey(sku));
    const available = num(item?.available);
    const reserved = num(item?.reserved);
    stock[sku] = { initial, available, reserved, soldToCompletedOrders: soldBySku[sku] ?? 0 };
    const subject = sku;
    if (available + reserved !== initial) add('stock-conserved', `available ${available} + reserved ${reserved} ≠ initial ${initial}`, { subject });
    if (!(available >= 0) || !(reserved >= 0)) add('stock-conserved', `negative stock: available ${available}, reserved ${reserved}`, { subject });
    if (reserved !== (reservedBySteps[sku] ?? 0)) add('stock-conserved', `reserved ${reserved} ≠ ${reservedBySteps[sku] ?? 0}, the sum of reservations whose step is done`, { subject });
  }
  const result = { violations, figures: { stock, points, money: { capturedCents: captured, refundedCents: 0, pointsSpent: pointsSpentByOrders, completedOrderCents: completedCents, heldByFlaggedSagasCents: heldByFlagged } } };
  checked.set(view, result);
  return result;
}
