import type { Clock } from '../runtime/shared/index.js';

/**
 * A clock that moves only when told to. Every handler in the local cloud reads time from it, so
 * deadlines, visibility timeouts and schedules can be crossed in microseconds of real time.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
 * clock.advance(5 * 60_000); // five minutes later, instantly
 * ```
 */
export class VirtualClock implements Clock {
  constructor(private current: number = Date.parse('2026-01-01T00:00:00.000Z')) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    if (ms < 0) throw new RangeError(`VirtualClock cannot go back in time (advance by ${ms} ms).`);
    this.current += ms;
  }

  /** Moves to `time` if it is later; time never goes backwards. */
  advanceTo(time: number): void {
    if (time > this.current) this.current = time;
  }
}
