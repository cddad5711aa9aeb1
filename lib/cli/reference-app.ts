import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CARD_LIMIT_CENTS, inventorySteps, orderKey, orderSaga, orderSteps, paymentKey, paymentSteps, pointsAccountKey, pointsSteps, stockKey, type OrderSaga } from '../../functions/order/index.js';
import { stepKey, terminalEventsPattern } from '../core/index.js';
import type { LocalCloud, ParticipantImplementations } from '../local/cloud.js';
import { attachConsumer } from '../local/consumers.js';
import { Notifier } from '../runtime/notifier/index.js';
import { silentLogger } from '../runtime/shared/index.js';

/** The reference app's participants, as their Lambda entry files export them. */
export const referenceParticipants: ParticipantImplementations<OrderSaga> = { inventory: inventorySteps, order: orderSteps, payment: paymentSteps, points: pointsSteps };
export { orderSaga };

export type Scenario = 'happy' | 'card-declined' | 'out-of-stock' | 'points-short';
export interface PlannedOrder {
  readonly orderId: string;
  readonly scenario: Scenario;
  readonly sku: string;
  readonly quantity: number;
  readonly amountCents: number;
  /** Loyalty points redeemed (the points service freezes them: TCC try). @default none */
  readonly pointsToRedeem?: number;
}

/** The customer of a planned order (orders share customers, so points are contended). */
export const customerOf = (order: Pick<PlannedOrder, 'orderId'>): string => `customer-${order.orderId.slice(-2)}`;

/** Points every third order redeems when the plan uses points. */
export const POINTS_PER_ORDER = 100;

export const MAIN_SKU = 'sku-espresso';
export const SCARCE_SKU = 'sku-grinder';

/**
 * A deterministic batch: every 5th order exceeds the card limit (declined → order cancelled and
 * stock released), every 7th asks for more grinders than exist (stock unavailable); the rest
 * complete. Stock is sized so every happy order can be served.
 *
 * With `points`, every 3rd order also redeems {@link POINTS_PER_ORDER} loyalty points (frozen by
 * the points service, then spent or unfrozen with the order's outcome), and every 11th otherwise
 * happy order asks for more points than its customer has (points unavailable → compensated).
 */
export function planOrders(count: number, options: { readonly points?: boolean } = {}): PlannedOrder[] {
  return Array.from({ length: count }, (_, i) => plannedOrder(i, options));
}

/** Order `i` (0-based) of {@link planOrders}: the plan is the same whatever its length. */
export function plannedOrder(i: number, options: { readonly points?: boolean } = {}): PlannedOrder {
  const n = i + 1;
  const orderId = `order-${String(n).padStart(5, '0')}`;
  const points = options.points && n % 3 === 0 ? { pointsToRedeem: POINTS_PER_ORDER } : {};
  if (n % 7 === 0) return { orderId, scenario: 'out-of-stock', sku: SCARCE_SKU, quantity: 50, amountCents: 4_900, ...points };
  if (n % 5 === 0) return { orderId, scenario: 'card-declined', sku: MAIN_SKU, quantity: 1, amountCents: CARD_LIMIT_CENTS + 10_000 + n, ...points };
  if (options.points && n % 11 === 0) return { orderId, scenario: 'points-short', sku: MAIN_SKU, quantity: 1, amountCents: 2_000 + n, pointsToRedeem: 1_000_000 };
  return { orderId, scenario: 'happy', sku: MAIN_SKU, quantity: 1 + (n % 3), amountCents: 1_000 + n * 10, ...points };
}

/** The start payload of a planned order. */
export const orderPayload = (o: PlannedOrder) => ({
  orderId: o.orderId,
  customerId: customerOf(o),
  sku: o.sku,
  quantity: o.quantity,
  amountCents: o.amountCents,
  ...(o.pointsToRedeem ? { pointsToRedeem: o.pointsToRedeem } : {}),
});

/** Initial points per customer: enough for every redemption of the plan except the deliberately short ones, plus a little. */
export function initialPoints(plan: readonly PlannedOrder[]): Record<string, number> {
  const balances: Record<string, number> = {};
  for (const o of plan) {
    const c = customerOf(o);
    balances[c] = (balances[c] ?? 0) + (o.scenario === 'points-short' ? 0 : (o.pointsToRedeem ?? 0));
  }
  return Object.fromEntries(Object.entries(balances).map(([c, b]) => [c, b + 50]));
}

export async function seedPoints(cloud: LocalCloud, balances: Record<string, number>): Promise<void> {
  for (const [customerId, available] of Object.entries(balances)) {
    await cloud.client.send(new PutCommand({ TableName: cloud.tableName, Item: { ...pointsAccountKey(customerId), customerId, available, frozen: 0, spent: 0, initial: available } }));
  }
}

export async function readPoints(cloud: LocalCloud, customerId: string): Promise<{ available: number; frozen: number; spent: number }> {
  const out = await cloud.client.send(new GetCommand({ TableName: cloud.tableName, Key: pointsAccountKey(customerId), ConsistentRead: true }));
  return { available: Number(out.Item?.available ?? 0), frozen: Number(out.Item?.frozen ?? 0), spent: Number(out.Item?.spent ?? 0) };
}

/** What became of an order's points: the TCC barrier state of points.freezePoints and the points it froze. */
export async function readPointsStep(cloud: LocalCloud, sagaId: string): Promise<{ state?: string; points: number }> {
  const out = await cloud.client.send(new GetCommand({ TableName: cloud.tableName, Key: stepKey('points', sagaId, 'freezePoints'), ConsistentRead: true }));
  return { ...(out.Item?.state ? { state: String(out.Item.state) } : {}), points: Number((out.Item?.data as { points?: number } | undefined)?.points ?? 0) };
}

/**
 * The merchant's webhook for the reference app: a real local HTTP server. To show best-effort
 * delivery, it answers 503 to the first attempt of every fourth saga (by saga id), then 200.
 */
export class MerchantReceiver {
  readonly deliveries: { sagaId: string; status: string; attempt: number; answered: number }[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        let parsed: { sagaId?: string; status?: string } = {};
        try {
          parsed = JSON.parse(body) as typeof parsed;
        } catch {
          /* answered 400 below */
        }
        const sagaId = parsed.sagaId ?? '';
        const attempt = Number(req.headers['x-saga-attempt'] ?? 1);
        const flaky = [...sagaId].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 0) % 4 === 0;
        const answered = !sagaId ? 400 : flaky && attempt === 1 ? 503 : 200;
        this.deliveries.push({ sagaId, status: parsed.status ?? '', attempt, answered });
        res.writeHead(answered).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks/orders`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Receiver id of the reference app's merchant: its notifier endpoint and outcome-API key id; orders name it at start. */
export const MERCHANT = 'merchant';
/** Name of the merchant's signing secret in the local cloud's Secrets Manager. */
export const MERCHANT_SIGNING_SECRET = 'order-saga/merchant-signing';

/**
 * Wires the best-effort notifier into a local cloud as the `SagaNotifier` construct does in AWS:
 * a queue fed by the terminal events, the notifier consuming it, and its retry sweep on the
 * scheduler. `drain()` then runs the sweep until no notification is pending (retries are due in
 * virtual time after the sagas ended).
 */
export function attachMerchantNotifier(cloud: LocalCloud<OrderSaga>, url: string, options: { readonly maxAttempts?: number } = {}) {
  // The signing secret lives in the local cloud's Secrets Manager, read as in AWS (never passed as a value).
  if (!cloud.secrets.has(MERCHANT_SIGNING_SECRET)) cloud.secrets.put(MERCHANT_SIGNING_SECRET, randomBytes(32).toString('base64url'));
  const notifier = new Notifier(
    orderSaga,
    { endpoints: [{ id: MERCHANT, url, signingSecretId: MERCHANT_SIGNING_SECRET }], maxAttempts: options.maxAttempts ?? 5, firstRetryDelayMs: 5_000, maxRetryDelayMs: 60_000, requestTimeoutMs: 2_000 },
    { client: cloud.client, tableName: cloud.tableName, clock: cloud.clock, logger: silentLogger, metrics: cloud.metrics, secrets: cloud.secretReader() },
  );
  attachConsumer(cloud, 'notifier', terminalEventsPattern(orderSaga), (event) => notifier.handleEvents(event));
  cloud.schedule('notifier-retries', 5_000, async () => {
    await notifier.sweep();
  });
  return {
    notifier,
    /** Advances the virtual clock to each due retry until nothing is pending (bounded). */
    async drain(maxRounds = 100): Promise<void> {
      for (let round = 0; round < maxRounds; round++) {
        await cloud.runUntilQuiet();
        const next = await notifier.nextAttemptAt();
        if (next === undefined) return;
        cloud.clock.advanceTo(next);
        await notifier.sweep();
      }
    },
  };
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

/** Stock for a simulation plan: the main SKU covers `ratio` of its demand, so stock runs out under load. */
export function simulationStock(plan: readonly PlannedOrder[], ratio: number): Record<string, number> {
  const stock: Record<string, number> = {};
  for (const o of plan) stock[o.sku] = (stock[o.sku] ?? 0) + o.quantity;
  for (const sku of Object.keys(stock)) stock[sku] = sku === MAIN_SKU ? Math.floor(stock[sku]! * ratio) : 5;
  return stock;
}
