/**
 * Small, dependency-free statistics for the benchmark. Percentiles use linear interpolation between
 * closest ranks (the "R-7" definition spreadsheets use), so p50 of [1, 2, 3, 4] is 2.5.
 */

export interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly median: number;
  readonly p95: number;
  readonly min: number;
  readonly max: number;
}

function sorted(values: readonly number[]): number[] {
  if (values.length === 0) throw new RangeError('Cannot summarise an empty sample; the scenario measured nothing.');
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`Sample holds a non-finite value (${v}).`);
  return [...values].sort((a, b) => a - b);
}

/** The p-th percentile (0 ≤ p ≤ 100) of a non-empty sample. */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`Percentile must be within 0..100, got ${p}.`);
  const xs = sorted(values);
  const rank = (p / 100) * (xs.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = xs[lo]!;
  const b = xs[hi]!;
  return a + (b - a) * (rank - lo);
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export function mean(values: readonly number[]): number {
  const xs = sorted(values);
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

export function summarize(values: readonly number[]): Summary {
  const xs = sorted(values);
  return { n: xs.length, mean: mean(xs), median: percentile(xs, 50), p95: percentile(xs, 95), min: xs[0]!, max: xs[xs.length - 1]! };
}

/** Rounds for display and JSON (keeps results diff-friendly). */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** a / b, refusing a zero denominator instead of printing Infinity. */
export function ratio(a: number, b: number): number {
  if (b === 0) throw new RangeError(`Ratio with a zero denominator (${a} / 0).`);
  return a / b;
}

/** Least-squares slope and intercept of y over x (used to extrapolate memory growth). */
export function linearFit(points: readonly { x: number; y: number }[]): { slope: number; intercept: number } {
  if (points.length < 2) throw new RangeError(`A linear fit needs at least two points, got ${points.length}.`);
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  if (sxx === 0) throw new RangeError('A linear fit needs at least two distinct x values.');
  const slope = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
  return { slope, intercept: my - slope * mx };
}
