import { ATTENTION_SHARD, ENDED_SHARD } from '../../core/keys.js';
import { METRIC } from '../shared/ports.js';
import { findLostRows, republishRow } from './outbox.js';
import { allProducersToAudit } from './scan.js';
import { sagaDefinition, type VisitContext } from './saga.js';
import { withoutIndex } from './store.js';
import type { TrackedSaga } from './types.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * `nextCheckAt` of a flagged saga whose outbox was audited: it stays listed in `open#attention` for
 * a person (who lists the whole partition), but is never due for the audit again.
 */
export const AUDITED_FLAG_CHECK_AT = '9999-12-31T00:00:00.000Z';

/**
 * Audits the outboxes of sagas that ended, once each, a quiet period after the end: an event a
 * step committed but that never reached the tracker — its stream record aged out or was dropped,
 * the relay timed out mid-batch, the event source was disabled — leaves no relay note, and once
 * the saga has left the open index nothing else would look for it. Each lost row is republished
 * (the relay publishes the copy; consumers dedupe on the envelope id); the saga then stays in
 * `open#ended` for one more quiet period to see the copies arrive, and leaves the index once its
 * outbox holds nothing unseen — or once rows were republished `maxRepublishes` times in vain,
 * which is logged as an error and reported as a `republish-exhausted` action.
 *
 * Flagged sagas (`open#attention`) get the same audit, once, and stay listed there for a person.
 *
 * Cost: one query per producer partition of each ended saga, once; a finished saga costs nothing
 * after its audit. Writes are conditional on the record's version (the tracker's lock), so an
 * event arriving meanwhile makes this run stand down for that saga until the next pass.
 */
export async function auditEndedSagas(ctx: VisitContext, budget: number): Promise<number> {
  const ended = await audit(ctx, ENDED_SHARD, budget, (saga, now) => ({ ...withoutIndex(saga), auditedAt: iso(now) }) as TrackedSaga);
  // Flagged sagas are not visited any more, but their committed events must still get out: their
  // outboxes are audited the same way, once; they stay listed for a person.
  const flagged = await audit(ctx, ATTENTION_SHARD, budget - ended, (saga, now) => ({ ...saga, auditedAt: iso(now), nextCheckAt: AUDITED_FLAG_CHECK_AT }) as TrackedSaga);
  return ended + flagged;
}

async function audit(ctx: VisitContext, shard: string, budget: number, settled: (saga: TrackedSaga, now: number) => TrackedSaga): Promise<number> {
  const { store, opts, now } = ctx;
  let audited = 0;
  if (budget <= 0) return 0;
  // Due once the end (its `nextCheckAt`) is a quiet period old: late events had time to arrive.
  for await (const item of store.due(shard, iso(now - opts.quietMs), opts.pageSize)) {
    if (audited >= budget) break;
    audited++;
    const saga = item as unknown as TrackedSaga;
    ctx.observe(saga);
    const def = sagaDefinition(ctx, saga);
    // Every partition, not only those a visit would read (producersToScan): this audit is the
    // backstop for the rows that rule cannot see, and it runs once per saga.
    const lost = await findLostRows(store, def, saga, now, opts.quietMs, opts.maxRepublishes, allProducersToAudit(def, saga));
    let republished = 0;
    let deferred = 0;
    for (const row of lost.due) {
      const outcome = await republishRow(store, row, now);
      if (outcome === 'deferred') deferred++;
      if (outcome !== 'republished') continue;
      republished++;
      store.stats.republished++;
      ctx.metrics.count(METRIC.eventsRepublished, 1, { Saga: ctx.def.name });
      ctx.act(saga.sagaId, 'republished', `${row.type} ${row.eventId} (found by the audit of the ended saga)`);
    }
    for (const row of lost.exhausted) {
      ctx.logger.log('error', 'outbox row of an ended saga still unseen after the last republish', { sagaId: saga.sagaId, eventId: row.eventId, type: row.type, pk: row.pk, sk: row.sk });
      ctx.act(saga.sagaId, 'republish-exhausted', `${row.type} ${row.eventId}`);
    }
    // The run's republish budget is spent: the saga stays as it is, due at the next run (settling
    // it now would leave the row unpublished with nothing left to look for it).
    if (deferred > 0 && republished === 0) continue;
    const next = { ...saga, version: saga.version + 1, updatedAt: iso(now) } as TrackedSaga;
    if (lost.due.length > 0 || lost.young.length > 0) {
      // Look again a quiet period from now: the copies (ours, a concurrent run's, one deferred by
      // the budget) or a late commit's own event should be in by then.
      await store.writeSaga({ ...next, nextCheckAt: iso(now) }, saga.version);
      continue;
    }
    if (await store.writeSaga(settled(next, now), saga.version)) store.stats.endedAudited++;
  }
  return audited;
}
