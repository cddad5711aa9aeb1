import { describe, expect, it } from 'vitest';
import { linearFit, mean, median, percentile, ratio, round, summarize } from '../../bench/lib/stats.js';

describe('bench stats', () => {
  it('interpolates percentiles between closest ranks', () => {
    // GIVEN an even-sized sample
    const xs = [4, 1, 3, 2];
    // THEN the median sits between the middle values and extremes are exact
    expect(median(xs)).toBe(2.5);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 100)).toBe(4);
    expect(percentile([10, 20, 30, 40, 50], 95)).toBeCloseTo(48, 10);
  });

  it('summarizes a sample without reordering the input', () => {
    const xs = [5, 1, 9, 3];
    const s = summarize(xs);
    expect(s).toMatchObject({ n: 4, mean: 4.5, median: 4, min: 1, max: 9 });
    expect(s.p95).toBeCloseTo(8.4, 10); // rank 0.95 × 3 = 2.85 → 5 + 0.85 × (9 − 5)
    expect(xs).toEqual([5, 1, 9, 3]);
    expect(mean([2, 4])).toBe(3);
  });

  it('fails if the sample is empty or holds a non-finite value', () => {
    expect(() => median([])).toThrow(/empty/);
    expect(() => summarize([1, Number.NaN])).toThrow(/non-finite/);
    expect(() => percentile([1], 101)).toThrow(/0\.\.100/);
  });

  it('fails on a zero denominator instead of returning Infinity', () => {
    expect(ratio(3, 4)).toBe(0.75);
    expect(() => ratio(1, 0)).toThrow(/zero denominator/);
  });

  it('fits a line through points', () => {
    const fit = linearFit([
      { x: 0, y: 1 },
      { x: 1000, y: 3 },
      { x: 2000, y: 5 },
    ]);
    expect(fit.slope).toBeCloseTo(0.002, 10);
    expect(fit.intercept).toBeCloseTo(1, 10);
    expect(() => linearFit([{ x: 1, y: 1 }])).toThrow(/two points/);
    expect(round(1.23456, 2)).toBe(1.23);
  });
});
