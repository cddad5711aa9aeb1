import { UNPUBLISHED_SHARD } from '../../core/keys.js';
import { METRIC } from '../shared/ports.js';
import { republishRow, type RepublishClaim } from './outbox.js';
import type { VisitContext } from './saga.js';
import { isTerminalStatus } from '../shared/saga-record.js';
import type { OutboxRow } from '../shared/outbox.js';
import type { UnpublishedRecord } from '../shared/unpublished.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const age = (at: string | undefined, now: number): number => (at ? now - Date.parse(at) : Number.POSITIVE_INFINITY);

/**
 * Republishes outbox rows the relay failed to publish whose saga has already ended or was flagged
 * — a late step of a saga that compensated meanwhile, say. The visit of open sagas repairs lost rows of running
 * sagas, but an ended saga leaves the open index, and its lost row would stay unpublished for good
 * (no committed write may lose its event, even one no participant of this saga still needs).
 *
 * The relay's notes stay in the open index (`open#unpublished`) until they are settled, like
 * failure records: a note whose event the saga record holds is done (the stream source's retry got
 * through); a note of a saga still open (or not yet recorded) is looked at again a check interval
 * later — its saga may end before the visit repairs the row, and the note must still be there
 * then; a note of an ended saga has its original row republished as a copy (a failing copy leaves
 * its own note), up to `maxRepublishes` times, then it is reported as exhausted. A note younger
 * than the quiet period waits: the stream source may still get the record through.
 */
export async function republishUnpublished(ctx: VisitContext): Promise<number> {
  const { store, opts, now } = ctx;
  let republished = 0;
  const later = iso(now + opts.checkIntervalMs);
  for await (const item of store.due(UNPUBLISHED_SHARD, iso(now), opts.pageSize)) {
    const note = item as unknown as UnpublishedRecord;
    const key = { pk: note.pk, sk: note.sk };
    if (age(note.failedAt, now) < opts.quietMs) continue;
    const saga = await store.saga(note.sagaId);
    if (saga?.timeline.some((t) => t.eventId === note.eventId)) {
      await store.leaveIndex(key, { settledAt: iso(now), settled: 'published' });
      continue;
    }
    // Open sagas (and sagas without a record yet) are repaired by the regular visit and start
    // recovery. A flagged saga is not visited any more: its committed events must still get out.
    if (!saga || (!isTerminalStatus(saga.status) && saga.status !== 'failed-needs-attention')) {
      await store.recheckAt(key, later);
      continue;
    }
    const original = await store.item<OutboxRow & RepublishClaim>({ pk: note.rowPk, sk: note.rowSk.split('#r')[0]! });
    if (!original) {
      await store.leaveIndex(key, { settledAt: iso(now), settled: 'row-gone' });
      continue;
    }
    if (age(original.republishedAt, now) < opts.quietMs) {
      await store.recheckAt(key, later);
      continue;
    }
    if ((original.republishCount ?? 0) >= opts.maxRepublishes) {
      // Nothing else will try again (the saga has left the open index): say so loudly, once.
      ctx.logger.log('error', 'outbox row of an ended saga still unpublished after the last republish', { sagaId: note.sagaId, eventId: original.eventId, type: original.type, pk: note.rowPk, sk: note.rowSk });
      ctx.act(note.sagaId, 'republish-exhausted', `${original.type} ${original.eventId}`);
      await store.leaveIndex(key, { settledAt: iso(now), settled: 'republish-exhausted' });
      continue;
    }
    const outcome = await republishRow(store, original, now);
    // The run's republish budget is spent: the note stays due for the next run.
    if (outcome === 'deferred') continue;
    if (outcome === 'republished') {
      republished++;
      store.stats.republished++;
      ctx.metrics.count(METRIC.eventsRepublished, 1, { Saga: ctx.def.name });
      ctx.act(note.sagaId, 'republished', `${original.type} ${original.eventId} (after the saga ended)`);
    }
    // Settled: the copy (ours or a concurrent run's) leaves its own note if it fails.
    await store.leaveIndex(key, { settledAt: iso(now), settled: 'republished' });
  }
  return republished;
}
