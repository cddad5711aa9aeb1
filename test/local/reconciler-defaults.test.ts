import { afterEach, describe, expect, it } from 'vitest';
import { orderSaga } from '../../functions/order/definition.js';
import { referenceParticipants } from '../../lib/cli/reference-app.js';
import { LocalCloud } from '../../lib/local/cloud.js';
import { scheduleReconciler } from '../../lib/local/reconciler-schedule.js';
import { defaultReconciliationChecks } from '../../lib/runtime/participant/tcc.js';
import transfer from '../fixtures/apps/transfer/app.js';

const clouds: LocalCloud[] = [];
afterEach(async () => {
  for (const c of clouds.splice(0)) await c.stop();
});

describe('reconciliation checks a definition needs are on by default', () => {
  it('registers the TCC reservation expiry for a saga with TCC steps, and nothing for one without', () => {
    expect(defaultReconciliationChecks(orderSaga).map((c) => c.name)).toEqual(['tcc-reservations']);
    expect(defaultReconciliationChecks(transfer.definition)).toEqual([]);
  });

  it('runs them in the local cloud’s reconciler unless the caller opts out with its own list', async () => {
    const cloud = await LocalCloud.start({ definition: orderSaga, participants: referenceParticipants, seed: 3 });
    clouds.push(cloud);
    const byDefault = await scheduleReconciler(cloud).runOnce();
    expect(byDefault.checks.map((c) => c.name)).toEqual(['tcc-reservations']);
    const optedOut = await scheduleReconciler(cloud, { checks: [] }).runOnce();
    expect(optedOut.checks).toEqual([]);
  });
});
