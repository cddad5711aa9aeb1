import { describe, expect, it } from 'vitest';
import { Interleaver } from '../../lib/local/interleaver.js';
import { SeededRandom } from '../../lib/local/random.js';

/** Runs tasks that each pass the gate `steps` times, logging each step; the seed chooses who goes. */
async function run(seed: number, names: readonly string[], steps = 3, between?: () => Promise<void>): Promise<string[]> {
  const log: string[] = [];
  const scheduler = new Interleaver();
  const random = new SeededRandom(seed);
  for (const name of names) {
    scheduler.start(name, async () => {
      for (let i = 0; i < steps; i++) {
        await scheduler.gate();
        log.push(`${name}${i}`);
        if (between) await between();
      }
    });
  }
  for (;;) {
    await scheduler.settle();
    if (scheduler.waiting === 0) break;
    scheduler.release(random.int(scheduler.waiting));
  }
  return log;
}

describe('Interleaver', () => {
  it('replays the same interleaving for the same seed', async () => {
    expect(await run(7, ['a', 'b', 'c'])).toEqual(await run(7, ['a', 'b', 'c']));
  });

  it('interleaves tasks at their gated calls (some seed mixes them), each task in its own order', async () => {
    const logs = await Promise.all([1, 2, 3, 4, 5, 6].map((seed) => run(seed, ['a', 'b'])));
    const mixed = logs.some((log) => log.join(',') !== 'a0,a1,a2,b0,b1,b2' && log.join(',') !== 'b0,b1,b2,a0,a1,a2');
    expect(mixed).toBe(true);
    for (const log of logs) {
      expect(log.filter((e) => e.startsWith('a'))).toEqual(['a0', 'a1', 'a2']);
      expect(log).toHaveLength(6);
    }
  });

  it('waits for a task that awaits something other than the gate (a real timer) before choosing', async () => {
    const timer = () => new Promise<void>((resolve) => setTimeout(resolve, 2));
    expect(await run(3, ['a', 'b'], 3, timer)).toEqual(await run(3, ['a', 'b'], 3, timer));
  });

  it('releases a whole round in a seeded order, the same for the same seed', async () => {
    const round = async (seed: number) => {
      const log: string[] = [];
      const scheduler = new Interleaver();
      const random = new SeededRandom(seed);
      for (const name of ['a', 'b', 'c']) {
        scheduler.start(name, async () => {
          for (let i = 0; i < 3; i++) {
            await scheduler.gate();
            log.push(`${name}${i}`);
          }
        });
      }
      for (;;) {
        await scheduler.settle();
        if (scheduler.waiting === 0) break;
        scheduler.releaseAll((items) => random.shuffle(items));
      }
      return log;
    };
    const first = await round(9);
    expect(await round(9)).toEqual(first);
    // every task moved one step per round: the i-th steps of all tasks come before any (i+1)-th
    expect(first.slice(0, 3).every((e) => e.endsWith('0'))).toBe(true);
  });

  it('lets calls from outside any task through at once', async () => {
    const scheduler = new Interleaver();
    expect(scheduler.gate()).toBeUndefined();
  });

  it('counts running tasks per name and forgets finished ones', async () => {
    const scheduler = new Interleaver();
    scheduler.start('p', async () => {
      await scheduler.gate();
    });
    expect(scheduler.runningOf('p')).toBe(1);
    await scheduler.settle();
    scheduler.release(0);
    expect(await scheduler.settle()).toBe(1);
    expect(scheduler.runningOf('p')).toBe(0);
    expect(scheduler.size).toBe(0);
  });
});
