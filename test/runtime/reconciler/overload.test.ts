import { describe, expect, it } from 'vitest';
import referenceApp from '../../../lib/cli/reference/app.js';
import { NO_FAULTS } from '../../../lib/local/faults.js';
import { runAppSimulation } from '../../../lib/local/simulation/run.js';
import { trackerLagOf } from '../../../lib/runtime/reconciler/reconciler.js';

describe('reconciler under overload: it never multiplies the work of a slow tracker', () => {
  it('measures the tracker lag from a record: when it was written minus when its newest event occurred', () => {
    expect(trackerLagOf({ lastEventAt: '2026-01-01T00:05:00.000Z', timeline: [{ eventId: 'a', type: 'A', producer: 'p', at: '2026-01-01T00:00:00.000Z' }, { eventId: 'b', type: 'B', producer: 'p', at: '2026-01-01T00:02:00.000Z' }] })).toBe(180_000);
    expect(trackerLagOf({ lastEventAt: '2026-01-01T00:05:00.000Z', timeline: [] })).toBeUndefined();
  });

  it('republishes nothing while a throttled tracker lags minutes behind (every event reaches it late, none is lost)', async () => {
    // GIVEN a tracker throttled on 30 % of its invocations: its batches come back after the 180 s visibility timeout
    const report = await runAppSimulation(referenceApp, { sagas: 150, seed: 5, faults: { ...NO_FAULTS, trackerThrottle: 0.3 } });
    // THEN nothing was lost, so nothing was republished, and every saga ended
    expect(report.faults.trackerThrottle).toBeGreaterThan(20);
    expect(report.violations).toEqual([]);
    expect(report.summary.open).toBe(0);
    expect(report.republished).toBe(0);
  }, 300_000);
});
