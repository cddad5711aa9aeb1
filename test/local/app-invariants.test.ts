import { describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../lib/local/faults.js';
import { runAppSimulation } from '../../lib/local/simulation/run.js';
import transfer from '../fixtures/apps/transfer/app.js';

describe('an app’s own invariants in a simulation', () => {
  it('reports each violated invariant by name, a throwing check as its own violation, and a non-list result', async () => {
    const report = await runAppSimulation(
      {
        ...transfer,
        invariants: {
          ...transfer.invariants,
          'always-broken': () => ['the check found this'],
          'throws': () => {
            throw new Error('boom');
          },
          'not-a-list': () => 'oops' as never,
        },
      },
      { sagas: 6, seed: 1, faults: NO_FAULTS },
    );
    expect(report.invariantsChecked).toEqual(expect.arrayContaining(['money-conserved', 'always-broken', 'throws', 'not-a-list']));
    expect(report.violationCounts).toEqual({ 'always-broken': 1, throws: 1, 'not-a-list': 1 });
    expect(report.violations.find((v) => v.invariant === 'throws')?.message).toContain('boom');
  });

  it('refuses an app invariant that takes a generic invariant’s name', async () => {
    const report = await runAppSimulation({ ...transfer, invariants: { 'saga-ends': () => [] } }, { sagas: 2, seed: 1, faults: NO_FAULTS });
    expect(report.violations.map((v) => v.message)).toEqual([expect.stringContaining('has the name of a generic invariant')]);
  });
});
