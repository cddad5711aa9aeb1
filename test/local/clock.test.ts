import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../lib/local/clock.js';

/** VirtualClock: time moves only when told to, and never backwards. */

describe('VirtualClock', () => {
  it('starts at 2026-01-01T00:00:00Z by default and stands still until advanced', () => {
    const clock = new VirtualClock();
    expect(new Date(clock.now()).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(clock.now()).toBe(clock.now());
  });

  it('advance moves time forward by exactly the given milliseconds', () => {
    const clock = new VirtualClock(1_000);
    clock.advance(5 * 60_000);
    clock.advance(0);
    expect(clock.now()).toBe(1_000 + 300_000);
  });

  it('fails if asked to go back in time', () => {
    const clock = new VirtualClock(1_000);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(-1)).toThrow('VirtualClock cannot go back in time (advance by -1 ms).');
    expect(clock.now()).toBe(1_000);
  });

  it('advanceTo jumps to a later time and ignores an earlier one', () => {
    const clock = new VirtualClock(1_000);
    clock.advanceTo(5_000);
    expect(clock.now()).toBe(5_000);
    clock.advanceTo(2_000);
    expect(clock.now()).toBe(5_000);
  });
});
