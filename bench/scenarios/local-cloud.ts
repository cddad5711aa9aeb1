import referenceApp from '../../lib/cli/reference/app.js';
import { runAppSimulation } from '../../lib/local/simulation/run.js';
import { customerOf, initialPoints, initialStock, orderSaga, planOrders, referenceParticipants, seedPoints, seedStock } from '../../lib/cli/reference-app.js';
import { LocalCloud } from '../../lib/local/cloud.js';
import { ACCEPTANCE_FAULTS } from '../lib/faults.js';
import type { BenchContext } from '../lib/context.js';
import { figure, type ScenarioResult } from '../lib/report.js';
import { round } from '../lib/stats.js';

/** Reference sagas started, run to the end, on a fresh in-process local cloud; sagas per wall second. */
async function sagasPerSecond(sagas: number, concurrency: number): Promise<{ sagas: number; seconds: number; perSecond: number; open: number }> {
  const cloud = await LocalCloud.start({ definition: orderSaga, participants: referenceParticipants, seed: 5, concurrency });
  try {
    const plan = planOrders(sagas, { points: true });
    await seedStock(cloud, initialStock(plan));
    await seedPoints(cloud, initialPoints(plan));
    const start = performance.now();
    for (const order of plan) {
      await cloud.startSaga({
        orderId: order.orderId,
        customerId: customerOf(order),
        sku: order.sku,
        quantity: order.quantity,
        amountCents: order.amountCents,
        ...(order.pointsToRedeem ? { pointsToRedeem: order.pointsToRedeem } : {}),
      });
    }
    const run = await cloud.runUntilQuiet();
    const seconds = (performance.now() - start) / 1000;
    return { sagas, seconds: round(seconds, 2), perSecond: round(sagas / seconds, 1), open: run.quiet ? 0 : await cloud.openSagaCount() };
  } finally {
    await cloud.stop();
  }
}

/**
 * Scenario 9: the local cloud on the in-process engine — reference sagas per second with no
 * faults, and `saga simulate --sagas 2000` with every fault on, in wall time.
 */
export async function localCloudSpeed(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  const n = ctx.quick ? 200 : 1000;
  ctx.progress(`  ${n} reference sagas, no faults, one invocation at a time …`);
  const serial = await sagasPerSecond(n, 1);
  ctx.progress(`  ${n} reference sagas, no faults, concurrency 2 …`);
  const concurrent = await sagasPerSecond(n, 2);
  const simulated = ctx.quick ? 400 : 2000;
  ctx.progress(`  saga simulate --sagas ${simulated} with every fault on …`);
  const simStart = performance.now();
  const report = await runAppSimulation(referenceApp, { sagas: simulated, seed: 7, faults: ACCEPTANCE_FAULTS });
  const simSeconds = round((performance.now() - simStart) / 1000, 1);
  return {
    id: '9',
    title: 'local cloud speed (in-process engine)',
    seconds: (performance.now() - t0) / 1000,
    figures: [
      figure('s9.sagasPerSecond', 'reference sagas per second, no faults (concurrency 2)', concurrent.perSecond, { unit: '/s', target: { op: '>=', value: 100 } }),
      figure('s9.sagasPerSecondSerial', 'reference sagas per second, no faults (one invocation at a time)', serial.perSecond, { unit: '/s' }),
      figure(
        's9.simulate2000',
        `saga simulate --sagas ${simulated}, every fault on, wall time`,
        simSeconds,
        ctx.quick ? { unit: 's' } : { unit: 's', target: { op: '<=', value: 60 } },
      ),
      figure('s9.simulateViolations', 'violations in that simulation', report.violations.length, { target: { op: '==', value: 0 } }),
      figure('s9.simulateOpen', 'sagas left open in that simulation', report.summary.open, { target: { op: '==', value: 0 } }),
    ],
    notes: [
      `${n} sagas of the reference app (inventory → order → points → payment, with its designed failures) started at once on a fresh LocalCloud with the in-process engine, then run until quiet; wall time from the first start to quiet. Concurrency 2 lets two invocations of a participant run at once, interleaved by seed at their DynamoDB calls.`,
      `The simulation uses the acceptance fault levels (${JSON.stringify(ACCEPTANCE_FAULTS)}), seed 7, 20 sagas per virtual second, and checks every invariant on the stored data afterwards.`,
    ],
    details: { serial, concurrent, simulation: { sagas: simulated, seconds: simSeconds, summary: report.summary, violations: report.violations.length } },
  };
}
