import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CARD_LIMIT_CENTS, inventorySteps, orderKey, orderSaga, orderSteps, paymentKey, paymentSteps, pointsSteps, stockKey, type OrderSaga } from '../../functions/order/index.js';
import type { LocalCloud, ParticipantImplementations } from '../local/cloud.js';

/** The reference app's participants, as their Lambda entry files export them. */
export const referenceParticipants: ParticipantImplementations<OrderSaga> = { inventory: inventorySteps, order: orderSteps, payment: paymentSteps, points: pointsSteps };
export { orderSaga };

export type Scenario = 'happy' | 'card-declined' | 'out-of-stock';
export interface PlannedOrder {
  readonly orderId: string;
  readonly scenario: Scenario;
  readonly sku: string;
  readonly quantity: number;
  readonly amountCents: number;
}

export const MAIN_SKU = 'sku-espresso';
export const SCARCE_SKU = 'sku-grinder';

/**
 * A deterministic batch: every 5th order exceeds the card limit (declined → order cancelled and
 * stock released), every 7th asks for more grinders than exist (stock unavailable); the rest
 * complete. Stock is sized so every happy order can be served.
 */
export function planOrders(count: number): PlannedOrder[] {
  return Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    const orderId = `order-${String(n).padStart(5, '0')}`;
    if (n % 7 === 0) return { orderId, scenario: 'out-of-stock', sku: SCARCE_SKU, quantity: 50, amountCents: 4_900 };
    if (n % 5 === 0) return { orderId, scenario: 'card-declined', sku: MAIN_SKU, quantity: 1, amountCents: CARD_LIMIT_CENTS + 10_000 + n };
    return { orderId, scenario: 'happy', sku: MAIN_SKU, quantity: 1 + (n % 3), amountCents: 1_000 + n * 10 };
  });
}

/** Initial stock for a plan: enough for every order of the main SKU, and a few grinders. */
export function initialStock(plan: readonly PlannedOrder[]): Record<string, number> {
  const main = plan.filter((o) => o.sku === MAIN_SKU).reduce((n, o) => n + o.quantity, 0);
  return { [MAIN_SKU]: main, [SCARCE_SKU]: 5 };
}

export async function seedStock(cloud: LocalCloud, stock: Record<string, number>): Promise<void> {
  for (const [sku, available] of Object.entries(stock)) {
    await cloud.client.send(new PutCommand({ TableName: cloud.tableName, Item: { ...stockKey(sku), sku, available, reserved: 0, initial: available } }));
  }
}

export async function readStock(cloud: LocalCloud, sku: string): Promise<{ available: number; reserved: number }> {
  const out = await cloud.client.send(new GetCommand({ TableName: cloud.tableName, Key: stockKey(sku), ConsistentRead: true }));
  return { available: Number(out.Item?.available ?? 0), reserved: Number(out.Item?.reserved ?? 0) };
}

export async function readOrder(cloud: LocalCloud, orderId: string): Promise<{ status?: string; payment?: string }> {
  const [order, payment] = await Promise.all([
    cloud.client.send(new GetCommand({ TableName: cloud.tableName, Key: orderKey(orderId), ConsistentRead: true })),
    cloud.client.send(new GetCommand({ TableName: cloud.tableName, Key: paymentKey(orderId), ConsistentRead: true })),
  ]);
  return { status: order.Item?.status as string | undefined, payment: payment.Item?.status as string | undefined };
}
