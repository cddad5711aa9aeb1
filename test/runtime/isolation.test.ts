import { describe, expect, it } from 'vitest';
import { bufferIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
import { NO_FAULTS } from '../../lib/local/faults.js';
import { runAppSimulation } from '../../lib/local/simulation/run.js';
import { commutativeAdd, releasingSemanticLock, withSemanticLock } from '../../lib/runtime/participant/isolation.js';
import booking from '../fixtures/apps/booking/app.js';

describe('isolation helpers', () => {
  it('merge the semantic lock into the step’s own update and condition', () => {
    const locked = withSemanticLock({ Key: { pk: 'seats#seat#1', sk: 'seat' }, UpdateExpression: 'SET #state = :held REMOVE note', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeNames: { '#state': 'state' }, ExpressionAttributeValues: { ':held': 'held' } }, 's-1', new Date(0));
    expect(locked.UpdateExpression).toBe('SET #sagaLock = :sagaLockHolder, #sagaLockedAt = :sagaLockAt, #state = :held REMOVE note');
    expect(locked.ConditionExpression).toBe('(attribute_exists(pk)) AND (attribute_not_exists(#sagaLock) OR #sagaLock = :sagaLockHolder)');
    const released = releasingSemanticLock({ Key: { pk: 'seats#seat#1', sk: 'seat' }, UpdateExpression: 'SET #state = :free' }, 's-1');
    expect(released.UpdateExpression).toBe('SET #state = :free REMOVE #sagaLock, #sagaLockedAt');
    expect(() => withSemanticLock({ Key: {}, UpdateExpression: 'SET a = :sagaLockAt', ExpressionAttributeValues: { ':sagaLockAt': 1 } }, 's', new Date(0))).toThrow(/reserve/);
  });

  it('make a commutative update with a floor: value ≥ min − delta (a missing value counts as 0)', () => {
    expect(commutativeAdd({ pk: 'inventory#stock#a', sk: 'stock' }, 'available', -3, { min: 0 })).toMatchObject({
      UpdateExpression: 'SET #counter = if_not_exists(#counter, :zero) + :delta',
      ConditionExpression: '#counter >= :needed',
      ExpressionAttributeValues: { ':zero': 0, ':delta': -3, ':needed': 3 },
    });
    expect(commutativeAdd({ pk: 'p#x', sk: 'x' }, 'n', 2, { min: 0 }).ConditionExpression).toBe('attribute_not_exists(#counter) OR #counter >= :needed');
  });
});

describe('semantic lock under concurrency: competing bookings of one seat', () => {
  it.each([1, 2, 3, 4])('sells each seat at most once and leaves no lock (seed %i, concurrency 2)', async (seed) => {
    const report = await runAppSimulation(booking, { sagas: 12, seed, faults: NO_FAULTS, concurrency: 2, arrivalsPerSecond: 12 });
    expect(report.violations).toEqual([]);
    expect(report.summary.open).toBe(0);
    expect(report.summary.completed).toBe(2); // one per seat
    expect(report.outcomes.retry ?? 0).toBeGreaterThan(0); // bookings did wait for the lock
  });

  it('is what keeps it right: the same bookings without the lock (holding a held seat) sell a seat twice', async () => {
    const hold = booking.participants.seats.hold;
    const noLock = {
      ...booking,
      participants: {
        ...booking.participants,
        seats: {
          hold: {
            ...hold,
            async forward(ctx: Parameters<typeof hold.forward>[0]) {
              const { bookingId, seat, amountCents } = ctx.payload;
              const current = await ctx.db.get({ pk: `seats#seat#${seat}`, sk: 'seat' });
              if (current?.state === 'sold') return ctx.fail('sold', ctx.emit('SeatTaken', { bookingId, seat }));
              ctx.db.update({ Key: { pk: `seats#seat#${seat}`, sk: 'seat' }, UpdateExpression: 'SET #state = :held', ExpressionAttributeNames: { '#state': 'state' }, ExpressionAttributeValues: { ':held': 'held' } });
              ctx.remember({ seat });
              return ctx.done(ctx.emit('SeatHeld', { bookingId, amountCents }));
            },
          },
        },
      },
    } as typeof booking;
    const report = await runAppSimulation(noLock, { sagas: 12, seed: 1, faults: NO_FAULTS, concurrency: 2, arrivalsPerSecond: 12 });
    expect(report.violationCounts['seat-sold-once']).toBeGreaterThan(0);
  });

  it('holds under faults as well (duplicates, crashes, reordering)', async () => {
    const report = await runAppSimulation(booking, { sagas: 12, seed: 9, faults: { ...NO_FAULTS, duplicate: 0.2, crashAfterCommit: 0.05, reorder: 1 }, concurrency: 2, arrivalsPerSecond: 12 });
    expect(report.violations).toEqual([]);
    expect(report.summary.open).toBe(0);
  });

  it('runs from the CLI as an app module', async () => {
    const io = bufferIO();
    expect(await main(['verify', '--app', 'test/fixtures/apps/booking/app.ts'], io)).toBe(0);
  });
});
