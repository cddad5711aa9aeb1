import { BatchGetCommand, GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TIMEOUT_EVENT } from '../../core/definition.js';
import { envelopeSchema } from '../../core/envelope.js';
import { SagaCoreError } from '../../core/errors.js';
import { failureKey, openShardOf, outboxKey, rejectionKey, stepKey } from '../../core/keys.js';
import { allReactions, participantNames, sourceFor } from '../../core/model.js';
import type { BarrierRecord, FailureRecord } from '../participant/index.js';
import { outboxPut, type OutboxRow } from '../shared/outbox.js';
import type { RedriveOptions, RedriveResult } from '../shared/queue-admin.js';
import { explainSaga, type SagaExplanation, timeoutRow, isConditionFailure, ReconcilerStore, withoutIndex, emptyStats, type TrackedSaga } from '../reconciler/index.js';
import { isTerminalStatus, type OperatorNote } from '../shared/saga-record.js';
import type { OperatorContext } from './context.js';

/**
 * An operator action that cannot be done as asked; the message says why and what to do instead.
 *
 * @example
 * ```ts
 * try { await resolveSaga(ctx, sagaId, ''); } catch (e) { if (e instanceof OperatorActionError) console.error(e.message); }
 * ```
 */
export class OperatorActionError extends SagaCoreError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, context);
    this.name = 'OperatorActionError';
  }
}

const store = (ctx: OperatorContext) => new ReconcilerStore(ctx.client, ctx.tableName, emptyStats());

async function requireSaga(ctx: OperatorContext, sagaId: string): Promise<TrackedSaga> {
  const saga = await store(ctx).saga(sagaId);
  if (!saga) throw new OperatorActionError(`No saga record for ${JSON.stringify(sagaId)} in table ${ctx.tableName}. Check the id (it is in every event's detail.sagaId) and --table.`, { sagaId });
  return saga;
}

// ─── saga inspect ──────────────────────────────────────────────────────────────────────────────

export interface Inspection {
  readonly saga: TrackedSaga;
  readonly explanation: SagaExplanation;
}

/**
 * Status, timeline, step records and the explanation of a saga (why it is stuck, if it is).
 *
 * @example
 * ```ts
 * const { saga, explanation } = await inspectSaga(ctx, sagaId);
 * console.log(saga.status, explanation.summary);
 * ```
 */
export async function inspectSaga(ctx: OperatorContext, sagaId: string): Promise<Inspection> {
  const saga = await requireSaga(ctx, sagaId);
  const s = store(ctx);
  const records = (await Promise.all(participantNames(ctx.def).map((p) => s.partition(stepKey(p, sagaId, '').pk)))).flat() as unknown as BarrierRecord[];
  return { saga, explanation: explainSaga(ctx.def, saga, records.filter((r) => r.kind === 'step')) };
}

// ─── saga dlq list ─────────────────────────────────────────────────────────────────────────────

export interface DeadLetterView {
  readonly participant: string;
  readonly messageId: string;
  readonly sagaId?: string;
  readonly type?: string;
  readonly eventId?: string;
  /** Attempts before it was dead-lettered (from the failure record; else the DLQ's own count). */
  readonly receiveCount?: number;
  /** Why it is there: the failure record's error (or a rejection record's reason). */
  readonly reason: string;
  readonly failedAt?: string;
}

/**
 * DLQ messages per participant, each with the reason the participant runtime recorded.
 *
 * @example
 * ```ts
 * for (const l of await listDeadLetters(ctx, 'inventory')) console.log(l.sagaId, l.type, l.reason);
 * ```
 */
export async function listDeadLetters(ctx: OperatorContext, participant?: string, max = 100): Promise<DeadLetterView[]> {
  const participants = participant ? [participant] : ctx.queues.participants().filter((p) => participantNames(ctx.def).includes(p));
  const out: DeadLetterView[] = [];
  for (const p of participants) {
    const letters = await ctx.queues.listDeadLetters(p, max);
    const reasons = await readReasons(ctx.client, ctx.tableName, p, letters.map((l) => l.messageId));
    for (const letter of letters) {
      const envelope = envelopeOf(letter.body);
      const why = reasons.get(letter.messageId);
      out.push({
        participant: p,
        messageId: letter.messageId,
        ...(envelope ? { sagaId: envelope.sagaId, type: envelope.type, eventId: envelope.eventId } : {}),
        ...(why?.receiveCount !== undefined ? { receiveCount: why.receiveCount } : letter.receiveCount ? { receiveCount: letter.receiveCount } : {}),
        reason: why?.reason ?? 'no failure record (the message failed before the runtime could record it, or the record expired)',
        ...(why?.at ? { failedAt: why.at } : {}),
      });
    }
  }
  return out;
}

type Reason = { reason: string; at?: string; receiveCount?: number };

async function readReasons(client: DynamoDBDocumentClient, tableName: string, participant: string, messageIds: readonly string[]): Promise<Map<string, Reason>> {
  const found = new Map<string, Reason>();
  for (let i = 0; i < messageIds.length; i += 50) {
    const ids = messageIds.slice(i, i + 50);
    const keys = ids.flatMap((id) => [failureKey(participant, id), rejectionKey(participant, id)]);
    let request: Record<string, unknown> | undefined = { [tableName]: { Keys: keys } };
    while (request && Object.keys(request).length) {
      const res = await client.send(new BatchGetCommand({ RequestItems: request as never }));
      for (const item of res.Responses?.[tableName] ?? []) {
        const id = String(item.sk);
        if (item.kind === 'failure') {
          const f = item as unknown as FailureRecord;
          found.set(id, { reason: String(f.error), at: f.failedAt, receiveCount: f.receiveCount });
        }
        else if (!found.has(id)) found.set(id, { reason: `rejected (${String(item.reason)}): ${String(item.message)}`, at: String(item.rejectedAt) });
      }
      request = res.UnprocessedKeys as Record<string, unknown> | undefined;
    }
  }
  return found;
}

function envelopeOf(body: string): { sagaId: string; type: string; eventId: string } | undefined {
  try {
    const parsed = envelopeSchema['~standard'].validate((JSON.parse(body) as { detail?: unknown }).detail);
    return parsed.issues ? undefined : parsed.value;
  } catch {
    return undefined;
  }
}

// ─── saga redrive ──────────────────────────────────────────────────────────────────────────────

/**
 * Moves a participant's DLQ back to its queue (SQS StartMessageMoveTask, or by copying with
 * `{ method: 'copy' }`; the same locally).
 *
 * @example
 * ```ts
 * const { moved } = await redrive(ctx, 'inventory');
 * const copied = await redrive(ctx, 'inventory', { method: 'copy' }); // an SQS without move tasks
 * ```
 */
export async function redrive(ctx: OperatorContext, participant: string, options: RedriveOptions = {}): Promise<RedriveResult> {
  checkParticipant(ctx, participant);
  return ctx.queues.redrive(participant, options);
}

function checkParticipant(ctx: OperatorContext, participant: string): void {
  if (!participantNames(ctx.def).includes(participant)) {
    throw new OperatorActionError(`Saga "${ctx.def.name}" has no participant ${JSON.stringify(participant)}; participants: ${participantNames(ctx.def).join(', ')}.`, { participant });
  }
}

// ─── saga retry ────────────────────────────────────────────────────────────────────────────────

export interface RetryResult {
  readonly participant: string;
  readonly type: string;
  readonly eventId: string;
  readonly messageId: string;
}

/**
 * Re-delivers the event that triggers a participant's pending step to that participant's queue.
 * The event is rebuilt from its outbox row, so it is the exact envelope the participant missed
 * (same event id: the barrier makes a duplicate harmless). `type` picks the event when the
 * participant has no pending step.
 *
 * @example
 * ```ts
 * const { type, messageId } = await retryStep(ctx, sagaId, 'inventory');
 * ```
 */
export async function retryStep(ctx: OperatorContext, sagaId: string, participant: string, type?: string): Promise<RetryResult> {
  checkParticipant(ctx, participant);
  const { saga, explanation } = await inspectSaga(ctx, sagaId);
  const subscribed = new Set(allReactions(ctx.def).filter((r) => r.participant === participant).map((r) => r.event));
  if (type && !subscribed.has(type)) throw new OperatorActionError(`Participant "${participant}" does not react to ${type}; it reacts to ${[...subscribed].join(', ')}.`, { participant, type });
  const stuck = explanation.stuck.find((s) => s.participant === participant);
  const trigger = type ? [...saga.timeline].reverse().find((t) => t.type === type) : stuck?.trigger;
  if (!trigger) {
    throw new OperatorActionError(
      type
        ? `Saga ${sagaId} has no ${type} in its timeline; nothing to re-deliver.`
        : `Participant "${participant}" has no pending step in saga ${sagaId} (${explanation.summary}). Pass --event <Type> to re-deliver one of ${[...subscribed].join(', ')} anyway.`,
      { sagaId, participant },
    );
  }
  const row = await ctx.client.send(new GetCommand({ TableName: ctx.tableName, Key: outboxKey(trigger.producer, sagaId, trigger.eventId), ConsistentRead: true }));
  const detail = (row.Item as OutboxRow | undefined)?.detail;
  if (!detail) throw new OperatorActionError(`The outbox row of ${trigger.type} ${trigger.eventId} (by ${trigger.producer}) is gone (outbox rows live 7 days); re-deliver it from the DLQ with \`saga redrive ${participant}\`.`, { sagaId });
  const body = JSON.stringify({
    version: '0',
    id: ctx.ids(),
    'detail-type': trigger.type,
    source: sourceFor(ctx.def, trigger.producer),
    account: 'saga-operator',
    time: new Date(ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: process.env.AWS_REGION ?? 'local',
    resources: [],
    detail: JSON.parse(detail) as unknown,
  });
  const messageId = await ctx.queues.send(participant, body);
  await addNote(ctx, saga, { action: 'retry', note: `re-delivered ${trigger.type} ${trigger.eventId} to ${participant} (message ${messageId})` });
  return { participant, type: trigger.type, eventId: trigger.eventId, messageId };
}

// ─── saga compensate / resolve ─────────────────────────────────────────────────────────────────

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Forces backward recovery: publishes `SagaTimedOut` (reason `operator: <note>`) through the
 * reconciler's outbox, in one transaction with the saga record (version-guarded), and puts the
 * saga back under the reconciler's watch. Participants past the pivot ignore it, as for a deadline.
 *
 * @example
 * ```ts
 * const { eventId } = await forceCompensation(ctx, sagaId, 'payment provider outage, ticket 42');
 * ```
 */
export async function forceCompensation(ctx: OperatorContext, sagaId: string, note: string): Promise<{ eventId: string }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const saga = await requireSaga(ctx, sagaId);
    if (isTerminalStatus(saga.status)) throw new OperatorActionError(`Saga ${sagaId} is already ${saga.status}; there is nothing to compensate.`, { sagaId });
    const now = ctx.clock.now();
    const eventId = ctx.ids();
    const row = await timeoutRow(ctx.def, saga, `operator: ${note}`, eventId, now);
    const next: TrackedSaga = {
      ...saga,
      version: saga.version + 1,
      updatedAt: iso(now),
      timeoutPublishedAt: iso(now),
      stalledChecks: 0,
      notes: [...(saga.notes ?? []), { action: 'compensate', at: iso(now), note: `${note} (${TIMEOUT_EVENT} ${eventId})` }],
      openShard: openShardOf(sagaId),
      nextCheckAt: iso(now + 60_000),
    };
    if (await store(ctx).writeSaga(next, saga.version, [outboxPut(ctx.tableName, row)])) return { eventId };
  }
  throw new OperatorActionError(`Saga ${sagaId} kept changing while compensating it; run the command again.`, { sagaId });
}

/**
 * Marks a saga as handled by a person: the note is kept in `notes`, `resolvedAt` is set and the
 * saga leaves the open index (the reconciler no longer looks at it; its status is left as it is).
 *
 * @example
 * ```ts
 * await resolveSaga(ctx, sagaId, 'refunded by hand, ticket 123');
 * ```
 */
export async function resolveSaga(ctx: OperatorContext, sagaId: string, note: string): Promise<TrackedSaga> {
  if (!note.trim()) throw new OperatorActionError('A resolution needs a note saying what was done (--note "refunded by hand, ticket 123").');
  for (let attempt = 0; attempt < 5; attempt++) {
    const saga = await requireSaga(ctx, sagaId);
    const now = ctx.clock.now();
    const next = withoutIndex({ ...saga, version: saga.version + 1, updatedAt: iso(now), resolvedAt: iso(now), notes: [...(saga.notes ?? []), { action: 'resolve', at: iso(now), note }] });
    if (await store(ctx).writeSaga(next, saga.version)) return next;
  }
  throw new OperatorActionError(`Saga ${sagaId} kept changing while resolving it; run the command again.`, { sagaId });
}

async function addNote(ctx: OperatorContext, saga: TrackedSaga, note: Omit<OperatorNote, 'at'>): Promise<void> {
  const now = ctx.clock.now();
  let current: TrackedSaga | undefined = saga;
  for (let attempt = 0; attempt < 5 && current; attempt++) {
    const next = { ...current, version: current.version + 1, updatedAt: iso(now), notes: [...(current.notes ?? []), { ...note, at: iso(now) }] };
    try {
      if (await store(ctx).writeSaga(next, current.version)) return;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    current = await store(ctx).saga(saga.sagaId);
  }
}
