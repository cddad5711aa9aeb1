import { describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.js';
import { bufferIO } from '../../lib/cli/io.js';

describe('saga run', () => {
  it('runs 50 orders to a terminal state, compensating exactly the ones designed to fail', async () => {
    // GIVEN the CLI on its in-process engine
    const io = bufferIO();
    // WHEN
    const code = await main(['run', '--orders', '50', '--json', '--seed', '3'], io);
    // THEN
    const report = JSON.parse(io.stdout.join('')) as {
      summary: Record<string, number>;
      sagas: { id: string; status: string; scenario: string; orderStatus?: string; points?: { redeemed: number; outcome: string }; notification?: { state: string; attempts: number } }[];
      stock: Record<string, { initial: number; available: number; reserved: number }>;
      points: { confirmed: number; cancelled: number; stillFrozen: number; conserved: boolean };
      notifications: { delivered: number; afterRetries: number; gaveUp: number };
    };
    expect(code).toBe(0);
    expect(report.summary.total).toBe(50);
    expect(report.summary.open).toBe(0);
    for (const saga of report.sagas) {
      expect(saga.status, `${saga.id} (${saga.scenario})`).toBe(saga.scenario === 'happy' ? 'completed' : 'compensated');
      if (saga.scenario === 'card-declined') expect(saga.orderStatus).toBe('cancelled');
      if (saga.scenario === 'out-of-stock') expect(saga.orderStatus).toBeUndefined();
      // TCC points: spent with a completed order, unfrozen with a cancelled one, refused when short
      const points = { happy: 'confirmed', 'card-declined': 'cancelled', 'out-of-stock': 'not reached', 'points-short': 'refused' }[saga.scenario];
      if (saga.points) expect(saga.points.outcome, `${saga.id} (${saga.scenario})`).toBe(points);
      // best-effort notification: every outcome reached the merchant
      expect(saga.notification?.state, saga.id).toBe('delivered');
    }
    expect(report.sagas.some((s) => s.scenario === 'points-short')).toBe(true);
    expect(report.points).toMatchObject({ stillFrozen: 0, conserved: true });
    expect(report.points.confirmed).toBeGreaterThan(0);
    expect(report.points.cancelled).toBeGreaterThan(0);
    expect(report.notifications).toMatchObject({ delivered: 50, gaveUp: 0 });
    expect(report.notifications.afterRetries).toBeGreaterThan(0);
    for (const s of Object.values(report.stock)) expect(s.available + s.reserved).toBe(s.initial);
  }, 180_000); // 50 sagas with points and merchant notifications over real HTTP: slow on a loaded machine

  it('fails if --orders is not a positive integer', async () => {
    const io = bufferIO();
    expect(await main(['run', '--orders', 'many'], io)).toBe(2);
    expect(io.stderr.join('')).toContain('--orders must be a positive integer, got "many"');
  });
});
