import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { orderStockCheck, stockKey } from '../../../functions/order/index.js';
import { reconcilerReportKey } from '../../../lib/core/keys.js';
import type { LocalCloud } from '../../../lib/local/cloud.js';
import { createLocalReconciler } from '../../../lib/local/reconciler-schedule.js';
import { METRIC } from '../../../lib/runtime/shared/ports.js';
import type { ReconciliationCheck } from '../../../lib/runtime/reconciler/types.js';
import { SKU, order, orderCloud, stock } from './support.js';

let cloud: LocalCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

/** Three orders (two complete, one declined) run to the end: 4 espresso machines reserved. */
async function settledShop(): Promise<LocalCloud> {
  const c = await orderCloud();
  for (const [id, amount] of [['o-a', 1_000], ['o-b', 2_000], ['o-c', 90_000]] as const) await c.startSaga(order(id, amount));
  await c.runUntilQuiet();
  expect(await stock(c)).toEqual({ available: 6, reserved: 4 });
  return c;
}

async function tamper(c: LocalCloud, change: { available: number; reserved: number }): Promise<void> {
  await c.client.send(
    new UpdateCommand({ TableName: c.tableName, Key: stockKey(SKU), UpdateExpression: 'SET available = available + :a, reserved = reserved + :r', ExpressionAttributeValues: { ':a': change.available, ':r': change.reserved } }),
  );
}

describe('reconciliation checks', () => {
  it('finds no discrepancy in a consistent shop', async () => {
    cloud = await settledShop();
    const { checks } = await createLocalReconciler(cloud, { checks: [orderStockCheck()] }).runOnce();
    expect(checks).toEqual([{ name: 'order-stock', discrepancies: [] }]);
  });

  it('reports discrepancies in the run report record and as metrics, without repairing by default', async () => {
    // GIVEN three machines went missing from "available" into "reserved" with no order holding them
    cloud = await settledShop();
    await tamper(cloud, { available: 0, reserved: 3 });
    // WHEN
    const result = await createLocalReconciler(cloud, { checks: [orderStockCheck()] }).runOnce();
    // THEN both rules fire, the report is stored, the metric counts them, the stock is untouched
    const report = await cloud.client.send(new GetCommand({ TableName: cloud.tableName, Key: reconcilerReportKey(result.runId) }));
    const found = (report.Item?.checks as { name: string; discrepancies: { message: string; expected: number; actual: number }[] }[])[0]!;
    expect(found.name).toBe('order-stock');
    expect(found.discrepancies).toEqual([
      expect.objectContaining({ message: 'available + reserved differs from the initial stock', expected: 10, actual: 13 }),
      expect.objectContaining({ message: expect.stringContaining('a reservation leaked'), expected: 4, actual: 7 }),
    ]);
    expect(report.Item?.stats).toMatchObject({ discrepancies: 2, repairs: 0 });
    expect(cloud.metrics.counts.get(`${METRIC.discrepancies}|Check=order-stock`)).toBe(2);
    expect(await stock(cloud)).toEqual({ available: 6, reserved: 7 });
  });

  it('repairs a leaked reservation when repairs are allowed', async () => {
    cloud = await settledShop();
    await tamper(cloud, { available: -3, reserved: 3 }); // conserved, but 3 reserved for no order
    const result = await createLocalReconciler(cloud, { checks: [orderStockCheck({ autoRepair: true })] }).runOnce();
    expect(result.checks[0]?.discrepancies).toEqual([expect.objectContaining({ subject: `stock ${SKU}`, repaired: `moved 3 of ${SKU} from reserved to available` })]);
    expect(result.stats.repairs).toBe(1);
    expect(await stock(cloud)).toEqual({ available: 6, reserved: 4 });
    expect(cloud.metrics.total(METRIC.repairs)).toBe(1);
  });

  it('runs a check once when two reconcilers overlap, and survives a check that throws', async () => {
    cloud = await orderCloud();
    let runs = 0;
    const counting: ReconciliationCheck = {
      name: 'counting',
      async run() {
        runs++;
        return [{ subject: 'x', message: 'always one', repair: async () => 'repaired' }];
      },
    };
    const broken: ReconciliationCheck = {
      name: 'broken',
      async run() {
        throw new Error('ledger unreachable');
      },
    };
    const options = { checks: [counting, broken], autoRepair: true };
    const [a, b] = await Promise.all([createLocalReconciler(cloud, options).runOnce(), createLocalReconciler(cloud, options).runOnce()]);
    expect(runs).toBe(1);
    expect(a.stats.repairs + b.stats.repairs).toBe(1);
    const errors = [...a.checks, ...b.checks].filter((c) => c.name === 'broken');
    expect(errors.filter((c) => c.error === 'ledger unreachable')).toHaveLength(1);
    expect(errors.filter((c) => c.skipped)).toHaveLength(1);
    expect(cloud.metrics.total(METRIC.checkErrors)).toBe(1);
    // Due again after its interval (30 s by default).
    cloud.clock.advance(30_000);
    await createLocalReconciler(cloud, options).runOnce();
    expect(runs).toBe(2);
  });

  it('fails if two checks share a name', async () => {
    cloud = await orderCloud();
    const r = createLocalReconciler(cloud);
    r.registerCheck({ name: 'same', run: async () => [] });
    expect(() => r.registerCheck({ name: 'same', run: async () => [] })).toThrow(/already registered/);
  });
});
