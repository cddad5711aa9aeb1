import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RESERVATION_EXPIRED_EVENT, type AnySagaDefinition } from '../../core/definition.js';
import type { Envelope } from '../../core/envelope.js';
import { ATTENTION_SHARD, ENDED_SHARD, ITEM_KIND, openShardOf, sagaKey } from '../../core/keys.js';
import { allReactions, failureEvents, forwardEffectEvents, isTerminal } from '../../core/model.js';

export const SAGA_STATUSES = ['running', 'compensating', 'failed-needs-attention', 'completed', 'compensated'] as const;
export type SagaStatus = (typeof SAGA_STATUSES)[number];
export const TERMINAL_STATUSES: readonly SagaStatus[] = ['completed', 'compensated'];

export interface TimelineEntry {
  readonly eventId: string;
  readonly type: string;
  readonly producer: string;
  readonly at: string;
  readonly causationId?: string;
}

/** Operator actions kept on the record (who did what and why). */
export interface OperatorNote {
  readonly action: string;
  readonly at: string;
  readonly note: string;
}

/** The saga record (`saga#<id>`), kept by the tracker and the reconciler only. */
export interface SagaRecord {
  readonly pk: string;
  readonly sk: string;
  readonly kind: 'saga';
  readonly sagaId: string;
  readonly definition: string;
  readonly definitionVersion: number;
  readonly status: SagaStatus;
  readonly startedAt: string;
  readonly deadline: string;
  readonly updatedAt: string;
  readonly lastEventAt: string;
  readonly version: number;
  readonly timeline: readonly TimelineEntry[];
  readonly terminalEvent?: string;
  readonly timeoutPublishedAt?: string;
  readonly flaggedReason?: string;
  readonly notes?: readonly OperatorNote[];
  /** Present only while open: the sparse `open-sagas` index the reconciler queries. */
  readonly openShard?: string;
  readonly nextCheckAt?: string;
  /** When the reconciler audited the ended saga's outbox (see `ENDED_SHARD`); set once. */
  readonly auditedAt?: string;
  /**
   * Set when the timeline contradicts itself (a success and a failure terminal, or a forward
   * effect after the saga was compensated): the saga stays `failed-needs-attention` with the
   * reason until a person resolves it.
   */
  readonly contradiction?: string;
  readonly flaggedAt?: string;
  /**
   * Steps with their own deadline (`deadlineSeconds` on the step) whose triggering event arrived
   * and that have not emitted yet: `participant.step` → when the step's deadline passes. The
   * earliest of them (and the saga's own) is the record's `deadline`.
   */
  readonly stepDeadlines?: Readonly<Record<string, string>>;
  /** What set `deadline` when a step deadline is earlier than the saga's: `participant.step`. */
  readonly deadlineOf?: string;
}

/**
 * The pending step deadlines after one more event: steps triggered by it that have a deadline are
 * added (from the event's occurrence time), the producer's step that emitted it is removed.
 */
export function nextStepDeadlines(def: AnySagaDefinition, current: Readonly<Record<string, string>> | undefined, envelope: Pick<Envelope, 'type' | 'producer' | 'occurredAt'>): Record<string, string> {
  const pending: Record<string, string> = { ...(current ?? {}) };
  for (const r of allReactions(def)) {
    if (r.phase !== 'forward') continue;
    const key = `${r.participant}.${r.step}`;
    if (r.participant === envelope.producer && r.mayEmit.includes(envelope.type)) delete pending[key];
    else if (r.event === envelope.type && r.spec.deadlineSeconds !== undefined && pending[key] === undefined) {
      pending[key] = new Date(Date.parse(envelope.occurredAt) + r.spec.deadlineSeconds * 1000).toISOString();
    }
  }
  return pending;
}

/**
 * What makes a timeline contradictory once the saga ended: the other kind of terminal event, or —
 * after `compensated` — an event only forward steps emit that occurred after the terminal one (an
 * effect that committed after the end).
 * `undefined` when the event is consistent with the end.
 */
export function contradictionOf(def: AnySagaDefinition, current: SagaRecord, envelope: Pick<Envelope, 'type' | 'producer' | 'occurredAt'>): string | undefined {
  const ended = current.status;
  const kind = isTerminal(def, envelope.type);
  const terminal = current.terminalEvent;
  if (ended === 'completed' && kind === 'failure') {
    return `contradictory timeline: completed by ${terminal ?? 'a success terminal'}, and the failure terminal ${envelope.type} from ${envelope.producer}`;
  }
  if (ended === 'compensated' && kind === 'success') {
    return `contradictory timeline: compensated by ${terminal ?? 'a failure terminal'}, and the success terminal ${envelope.type} from ${envelope.producer}`;
  }
  // A forward effect that occurred after the end (by occurrence time: a late delivery of an
  // earlier event is only out of order, not late).
  const endedAt = current.timeline.find((t) => t.type === terminal)?.at;
  if (ended === 'compensated' && endedAt !== undefined && envelope.occurredAt > endedAt && forwardEffectEvents(def).includes(envelope.type)) {
    return `contradictory timeline: compensated by ${terminal} at ${endedAt}, then ${envelope.type} from ${envelope.producer} at ${envelope.occurredAt} — a forward effect committed after the saga ended`;
  }
  return undefined;
}

const rank: Record<SagaStatus, number> = { running: 0, compensating: 1, 'failed-needs-attention': 2, completed: 3, compensated: 3 };

export const isTerminalStatus = (s: SagaStatus): boolean => TERMINAL_STATUSES.includes(s);

/** Status an event implies on its own. */
export function statusImpliedBy(def: AnySagaDefinition, type: string): SagaStatus {
  const terminal = isTerminal(def, type);
  if (terminal === 'success') return 'completed';
  if (terminal === 'failure') return 'compensated';
  return failureEvents(def).includes(type) ? 'compensating' : 'running';
}

/**
 * Folds one event into a saga record. Events arrive in any order and more than once: a seen event
 * id changes nothing, status only moves up (running → compensating → terminal), the first terminal
 * event wins, and the start time is the earliest event time seen.
 */
export function applyEvent(def: AnySagaDefinition, current: SagaRecord | undefined, envelope: Envelope, now: number): SagaRecord | undefined {
  if (current?.timeline.some((t) => t.eventId === envelope.eventId)) return undefined;
  // A reservation expiry for a saga without a record (a "gone" saga) must not resurrect it as open.
  if (!current && envelope.type === RESERVATION_EXPIRED_EVENT) return undefined;
  const entry: TimelineEntry = {
    eventId: envelope.eventId,
    type: envelope.type,
    producer: envelope.producer,
    at: envelope.occurredAt,
    ...(envelope.causationId ? { causationId: envelope.causationId } : {}),
  };
  // Ties on time are broken by event id, so the timeline does not depend on arrival order.
  const timeline = [...(current?.timeline ?? []), entry].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  const startedAt = timeline[0]!.at;
  // The saga's deadline, or an earlier one of a step still waiting to run (its own deadlineSeconds).
  const stepDeadlines = nextStepDeadlines(def, current?.stepDeadlines, envelope);
  const sagaDeadline = new Date(Date.parse(startedAt) + def.deadlineSeconds * 1000).toISOString();
  const earliestStep = Object.entries(stepDeadlines).sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0))[0];
  const deadline = earliestStep && earliestStep[1] < sagaDeadline ? earliestStep[1] : sagaDeadline;
  const deadlineOf = earliestStep && earliestStep[1] < sagaDeadline ? earliestStep[0] : undefined;
  const implied = statusImpliedBy(def, envelope.type);
  const was = current?.status ?? 'running';
  const at = new Date(now).toISOString();
  // A saga is pinned to the version it started on: an event of another version means two
  // definitions' participants worked on one saga (a misrouted upgrade) — a person must look.
  const mixed =
    current && current.definitionVersion !== envelope.definitionVersion
      ? `mixed definition versions: the saga runs on v${current.definitionVersion}, and ${envelope.type} from ${envelope.producer} carries v${envelope.definitionVersion}`
      : undefined;
  const contradiction = current?.contradiction ?? mixed ?? (isTerminalStatus(was) ? contradictionOf(def, current!, envelope) : undefined);
  if (contradiction) {
    // Flagged for a person, and kept flagged whatever arrives next (the tracker never un-flags it);
    // listed in the attention partition unless a person already resolved it.
    const resolved = (current as { resolvedAt?: string }).resolvedAt !== undefined;
    const { openShard: _s, nextCheckAt: _n, ...unlisted } = current!;
    return {
      ...unlisted,
      status: 'failed-needs-attention',
      contradiction,
      flaggedReason: contradiction,
      flaggedAt: current?.flaggedAt ?? at,
      timeline,
      updatedAt: at,
      lastEventAt: at,
      version: current!.version + 1,
      ...(resolved ? {} : { openShard: ATTENTION_SHARD, nextCheckAt: at }),
    };
  }
  const status = isTerminalStatus(was) ? was : rank[implied] >= rank[was] ? implied : was;
  // Recomputed on every event: the previous step deadlines are not carried over as they were.
  const { stepDeadlines: _previous, deadlineOf: _previousOf, ...carried } = current ?? ({} as Partial<SagaRecord>);
  const base: SagaRecord = {
    ...sagaKey(envelope.sagaId),
    ...carried,
    kind: ITEM_KIND.saga,
    sagaId: envelope.sagaId,
    definition: def.name,
    definitionVersion: current?.definitionVersion ?? envelope.definitionVersion,
    status,
    startedAt,
    deadline,
    ...(Object.keys(stepDeadlines).length > 0 ? { stepDeadlines } : {}),
    ...(deadlineOf ? { deadlineOf } : {}),
    updatedAt: at,
    lastEventAt: at,
    version: (current?.version ?? 0) + 1,
    timeline,
    ...(isTerminalStatus(status) && !current?.terminalEvent ? { terminalEvent: envelope.type } : {}),
  };
  if (isTerminalStatus(status)) {
    const { openShard: _s, nextCheckAt: _n, ...closed } = base;
    // Until the reconciler has audited its outbox once, an ended saga waits in `open#ended`
    // (its end time as the check time: the audit runs a quiet period later).
    return closed.auditedAt ? closed : { ...closed, openShard: ENDED_SHARD, nextCheckAt: at };
  }
  // The check time follows the deadline (which moves earlier when an earlier event arrives late)
  // unless someone else — the reconciler — moved it on purpose.
  const nextCheckAt = current?.nextCheckAt !== undefined && current.nextCheckAt !== current.deadline ? current.nextCheckAt : deadline;
  return { ...base, openShard: openShardOf(envelope.sagaId), nextCheckAt };
}

export async function readSagaRecord(client: DynamoDBDocumentClient, tableName: string, sagaId: string): Promise<SagaRecord | undefined> {
  const out = await client.send(new GetCommand({ TableName: tableName, Key: sagaKey(sagaId), ConsistentRead: true }));
  return out.Item as SagaRecord | undefined;
}

/** Writes a new version of a saga record; false when someone else wrote first (optimistic lock). */
export async function writeSagaRecord(client: DynamoDBDocumentClient, tableName: string, next: SagaRecord, expectedVersion: number | undefined): Promise<boolean> {
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: next as unknown as Record<string, unknown>,
        ConditionExpression: expectedVersion === undefined ? 'attribute_not_exists(pk)' : 'version = :v',
        ...(expectedVersion === undefined ? {} : { ExpressionAttributeValues: { ':v': expectedVersion } }),
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/** Read-modify-write with bounded retries on concurrent writers (tracker, reconciler, operator). */
export async function updateSagaRecord(
  client: DynamoDBDocumentClient,
  tableName: string,
  sagaId: string,
  change: (current: SagaRecord | undefined) => SagaRecord | undefined,
  maxAttempts = 8,
): Promise<SagaRecord | undefined> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await readSagaRecord(client, tableName, sagaId);
    const next = change(current);
    if (!next) return current;
    if (await writeSagaRecord(client, tableName, next, current?.version)) return next;
  }
  throw new Error(`Saga record ${sagaId} kept changing under ${maxAttempts} concurrent updates; the message will be retried.`);
}

