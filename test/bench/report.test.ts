import { describe, expect, it } from 'vitest';
import { figure, meets, renderTable } from '../../bench/lib/report.js';

describe('bench report', () => {
  it('judges figures against their targets and says by how much they missed', () => {
    expect(figure('a', 'a', 0.8, { target: { op: '<=', value: 0.75 } })).toMatchObject({ met: false });
    expect(figure('a', 'a', 0.8, { target: { op: '<=', value: 0.75 } }).missBy).toBeCloseTo(0.05, 10);
    expect(figure('b', 'b', 9.7, { target: { op: '>=', value: 9.5 } })).toMatchObject({ met: true });
    expect(meets(1, { op: '==', value: 1 })).toBe(true);
    expect(figure('c', 'c', 'text')).not.toHaveProperty('met');
  });

  it('fails if a figure with a target is not a number', () => {
    expect(() => figure('d', 'd', 'yes', { target: { op: '==', value: 1 } })).toThrow(/non-numeric/);
  });

  it('renders a table with one row per figure', () => {
    const table = renderTable([{ id: '1', title: 't', seconds: 1, notes: [], details: {}, figures: [figure('x', 'calls', 1, { target: { op: '==', value: 1 } }), figure('y', 'ratio', 1.2, { target: { op: '<=', value: 1 } })] }]);
    expect(table).toContain('calls');
    expect(table).toMatch(/ratio\s+1\.20\s+<= 1\s+MISSED by 0\.20/);
  });
});
