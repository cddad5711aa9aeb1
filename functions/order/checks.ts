import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CheckContext, Discrepancy, ReconciliationCheck } from '../../lib/runtime/index.js';
import { stockKey } from './inventory.js';

interface StockItem {
  readonly sku: string;
  readonly available: number;
  readonly reserved: number;
  /** Stock at seeding time; `available + reserved` must always equal it. */
  readonly initial?: number;
}
interface OrderItem {
  readonly orderId: string;
  readonly sku: string;
  readonly quantity: number;
  readonly status: string;
}

/** Reads the items whose key starts with `prefix`. A Scan: a check's cost is its own, so it runs rarely. */
async function scanPrefix(ctx: CheckContext, prefix: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await ctx.client.send(
      new ScanCommand({
        TableName: ctx.tableName,
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': prefix },
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/**
 * The reference app's reconciliation (对账) between inventory and orders:
 * - stock is conserved: `available + reserved` equals the stock recorded at seeding (`initial`), and neither is negative;
 * - when no saga is in flight, `reserved` equals the quantities of the orders that are not cancelled
 *   (created or completed). A mismatch means a reservation leaked (or was lost); its repair puts
 *   the difference back into `available` — "may undersell, never oversell" — guarded by a
 *   condition on the values it saw.
 * Scans the table, so it runs every `everyMs` (default hourly), not on every reconciler pass.
 *
 * @example
 * ```ts
 * createReconciler(orderSaga, { ...deps, checks: [orderStockCheck()] });
 * ```
 */
export function orderStockCheck(options: { readonly everyMs?: number; readonly autoRepair?: boolean } = {}): ReconciliationCheck {
  return {
    name: 'order-stock',
    everyMs: options.everyMs ?? 3_600_000,
    ...(options.autoRepair ? { autoRepair: true } : {}),
    async run(ctx) {
      const stock = (await scanPrefix(ctx, 'inventory#stock#')) as unknown as StockItem[];
      const found: Discrepancy[] = [];
      for (const s of stock) {
        if (s.available < 0 || s.reserved < 0) {
          found.push({ subject: `stock ${s.sku}`, message: 'stock went negative', actual: { available: s.available, reserved: s.reserved } });
        }
        if (typeof s.initial === 'number' && s.available + s.reserved !== s.initial) {
          found.push({ subject: `stock ${s.sku}`, message: 'available + reserved differs from the initial stock', expected: s.initial, actual: s.available + s.reserved });
        }
      }
      if ((await ctx.openSagaCount()) > 0) return found; // reservations in flight: the comparison with orders would be noise
      const orders = (await scanPrefix(ctx, 'order#order#')) as unknown as OrderItem[];
      const held = new Map<string, number>();
      for (const o of orders) if (o.status === 'created' || o.status === 'completed') held.set(o.sku, (held.get(o.sku) ?? 0) + o.quantity);
      for (const s of stock) {
        const expected = held.get(s.sku) ?? 0;
        if (s.reserved === expected) continue;
        found.push({
          subject: `stock ${s.sku}`,
          message: `reserved stock does not match the orders that hold it (${s.reserved - expected > 0 ? 'a reservation leaked' : 'a reservation is missing'})`,
          expected,
          actual: s.reserved,
          repair: async () => {
            const diff = s.reserved - expected;
            await ctx.client.send(
              new UpdateCommand({
                TableName: ctx.tableName,
                Key: stockKey(s.sku),
                UpdateExpression: 'SET available = available + :d, reserved = :expected',
                ConditionExpression: 'available = :a AND reserved = :r',
                ExpressionAttributeValues: { ':d': diff, ':expected': expected, ':a': s.available, ':r': s.reserved },
              }),
            );
            return `moved ${diff} of ${s.sku} from reserved to available`;
          },
        });
      }
      return found;
    },
  };
}
