/**
 * Appends to a log kept for inspection, dropping the oldest entries past `limit` so a long run
 * (a soak) does not grow without bound. Trims in chunks (at 1.25 × limit) to keep appends O(1)
 * amortised; the array stays a plain array for the tests and tools that read it.
 */
export function appendBounded<T>(log: T[], entry: T, limit: number): void {
  log.push(entry);
  if (log.length > limit + Math.max(1, Math.floor(limit / 4))) log.splice(0, log.length - limit);
}

/** Default number of entries the local cloud keeps in each inspection log (outcomes, bus archive). */
export const DEFAULT_RETAINED = 10_000;
