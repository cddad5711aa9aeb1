import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineSaga } from '../../lib/core/definition.js';
import { sourceFor } from '../../lib/core/model.js';
import { stepKey } from '../../lib/core/keys.js';
import { createParticipantHandler, type RecordOutcome } from '../../lib/runtime/participant/handler.js';
import { createTccParticipantHandler } from '../../lib/runtime/participant/tcc-handler.js';
import { InMemoryMetrics, silentLogger } from '../../lib/runtime/shared/ports.js';
import type { StepImplementations } from '../../lib/runtime/participant/step-types.js';

/**
 * A small saga to put the barrier under arbitrary delivery orders. Participant `a` has a plain
 * step (forward + compensation, two different compensation triggers); `b` has a TCC step (try +
 * confirm + cancel). Every business effect appends to a log item in the same transaction as the
 * barrier, so the log is the ground truth of what took effect, and in which order.
 * Participant `decider` only exists to be the legitimate producer of the trigger events.
 */
export const lab = defineSaga({
  name: 'barrier-lab',
  version: 1,
  deadlineSeconds: 60,
  start: 'Requested',
  events: {
    Requested: z.object({ amount: z.number().int() }),
    Reserved: z.object({ amount: z.number().int() }),
    Refused: z.object({}),
    Held: z.object({}),
    Declined: z.object({}),
    Cancelled: z.object({}),
    Aborted: z.object({}),
    Released: z.object({}),
    Completed: z.object({}),
    Voided: z.object({}),
  },
  participants: {
    a: {
      steps: {
        reserve: { on: 'Requested', emits: ['Reserved'], failsWith: ['Refused'], compensation: { on: ['Cancelled', 'Aborted'], emits: ['Released'] } },
      },
    },
    b: {
      steps: {
        hold: { on: 'Reserved', emits: ['Held'], failsWith: ['Declined'], compensation: { on: ['Voided'], emits: [] }, confirmation: { on: ['Completed'] } },
      },
    },
    decider: {
      steps: { decide: { on: 'Held', emits: ['Completed'], failsWith: ['Cancelled', 'Aborted', 'Voided'] } },
    },
  },
  terminal: { success: ['Completed'], failure: ['Released', 'Refused', 'Declined'] },
});

/** Amounts above this make the forward step (or the try) fail as a business failure: no effect. */
export const LAB_LIMIT = 100;

const logKey = (participant: string, sagaId: string) => ({ pk: `${participant}#effects#${sagaId}`, sk: 'log' });

function append(db: { update(p: { Key: Record<string, unknown>; UpdateExpression: string; ExpressionAttributeValues: Record<string, unknown> }): void }, participant: string, sagaId: string, entry: string): void {
  db.update({ Key: logKey(participant, sagaId), UpdateExpression: 'SET entries = list_append(if_not_exists(entries, :empty), :e)', ExpressionAttributeValues: { ':empty': [], ':e': [entry] } });
}

export const labSteps = {
  a: {
    reserve: {
      async forward(ctx) {
        // Read first, like a stock check: widens the window for concurrent deliveries to race.
        await ctx.db.get(logKey('a', ctx.sagaId));
        if (ctx.payload.amount > LAB_LIMIT) return ctx.fail('over the limit', ctx.emit('Refused', {}));
        append(ctx.db, 'a', ctx.sagaId, 'forward');
        ctx.remember({ amount: ctx.payload.amount });
        return ctx.done(ctx.emit('Reserved', { amount: ctx.payload.amount }));
      },
      compensate(ctx) {
        if (ctx.forward.status === 'done') append(ctx.db, 'a', ctx.sagaId, 'undo');
        return ctx.done(ctx.emit('Released', {}));
      },
    },
  },
  b: {
    hold: {
      async forward(ctx) {
        await ctx.db.get(logKey('b', ctx.sagaId));
        if (ctx.payload.amount > LAB_LIMIT) return ctx.fail('over the limit', ctx.emit('Declined', {}));
        append(ctx.db, 'b', ctx.sagaId, 'try');
        ctx.remember({ amount: ctx.payload.amount });
        return ctx.done(ctx.emit('Held', {}));
      },
      confirm(ctx) {
        append(ctx.db, 'b', ctx.sagaId, 'confirm');
        return ctx.done();
      },
      compensate(ctx) {
        if (ctx.forward.status === 'done') append(ctx.db, 'b', ctx.sagaId, 'cancel');
        return ctx.done();
      },
    },
  },
  decider: { decide: { forward: (ctx) => ctx.done(ctx.emit('Completed', {})) } },
} satisfies { [P in 'a' | 'b' | 'decider']: StepImplementations<typeof lab, P> };

/** The kinds of message a participant of the lab receives. */
export type LabMessage =
  | { readonly participant: 'a'; readonly phase: 'forward' | 'compensate'; readonly copy: number }
  | { readonly participant: 'b'; readonly phase: 'forward' | 'compensate' | 'confirm'; readonly copy: number };

/** Which event triggers a phase; `copy` picks the event (0/1: two distinct events of the trigger) for compensations. */
function triggerOf(m: LabMessage): { type: string; producer: string } {
  if (m.participant === 'a') {
    if (m.phase === 'forward') return { type: 'Requested', producer: 'initiator' };
    return { type: m.copy % 2 === 0 ? 'Cancelled' : 'Aborted', producer: 'decider' };
  }
  if (m.phase === 'forward') return { type: 'Reserved', producer: 'a' };
  if (m.phase === 'confirm') return { type: 'Completed', producer: 'decider' };
  return { type: 'Voided', producer: 'decider' };
}

const hex = (s: string) => createHash('sha1').update(s).digest('hex');

/**
 * The SQS record for one delivery of `m` in saga `sagaId`. The same (phase, trigger event) always
 * carries the same envelope event id — a duplicate is the same event delivered again — while every
 * delivery gets its own SQS message id.
 */
export function labRecord(sagaId: string, m: LabMessage, amount: number, delivery: number): SQSRecord {
  const { type, producer } = triggerOf(m);
  const eventId = `e-${hex(`${sagaId}|${type}`).slice(0, 24)}`;
  const payload = type === 'Requested' || type === 'Reserved' ? { amount } : {};
  const body = JSON.stringify({
    version: '0',
    id: `eb-${delivery}`,
    'detail-type': type,
    source: sourceFor(lab, producer),
    account: '000000000000',
    time: '2026-01-01T00:00:00Z',
    region: 'local',
    resources: [],
    detail: { eventId, sagaId, definition: lab.name, definitionVersion: 1, type, producer, occurredAt: '2026-01-01T00:00:00.000Z', payload },
  });
  const messageId = `m-${hex(`${sagaId}|${delivery}`).slice(0, 24)}`;
  return {
    messageId,
    receiptHandle: `${messageId}#1`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'LAB', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:local:000000000000:lab-${m.participant}`,
    awsRegion: 'local',
  };
}

/** The real participant handlers of the lab on a table; outcomes are collected by message id. */
export function labHandlers(client: DynamoDBDocumentClient, tableName: string) {
  const outcomes = new Map<string, RecordOutcome>();
  let n = 0;
  const deps = {
    client,
    tableName,
    clock: { now: () => Date.parse('2026-01-01T00:00:00.000Z') + n },
    ids: () => `id-${hex(`${tableName}|${++n}`).slice(0, 28)}`,
    logger: silentLogger,
    metrics: new InMemoryMetrics(),
    onOutcome: (o: RecordOutcome) => outcomes.set(o.messageId, o),
  };
  return {
    outcomes,
    a: createParticipantHandler(lab, 'a', labSteps.a, deps),
    b: createTccParticipantHandler(lab, 'b', labSteps.b, deps),
  };
}

/** What the table holds for one participant of a lab saga: its barrier state and its effect log. */
export async function readLab(client: DynamoDBDocumentClient, tableName: string, participant: 'a' | 'b', sagaId: string): Promise<{ state: string | undefined; log: string[]; record: Record<string, unknown> | undefined }> {
  const step = participant === 'a' ? 'reserve' : 'hold';
  const [barrier, log] = await Promise.all([
    client.send(new GetCommand({ TableName: tableName, Key: stepKey(participant, sagaId, step), ConsistentRead: true })),
    client.send(new GetCommand({ TableName: tableName, Key: logKey(participant, sagaId), ConsistentRead: true })),
  ]);
  return { state: barrier.Item?.state as string | undefined, log: (log.Item?.entries as string[] | undefined) ?? [], record: barrier.Item };
}

/**
 * The barrier as a state machine — the model the real handler is checked against. Returns the
 * next state and what the delivery should report: `effect` (committed with a business effect),
 * `null` (committed without one), `duplicate`, `refused` (anti-hanging or a TCC conflict), `retry`.
 */
export function modelStep(participant: 'a' | 'b', state: string | undefined, phase: LabMessage['phase'], fails: boolean): { next: string | undefined; result: 'effect' | 'null' | 'duplicate' | 'refused' | 'retry' } {
  if (phase === 'forward') {
    if (state === undefined) return fails ? { next: 'failed', result: 'null' } : { next: 'done', result: 'effect' };
    // Once the forward ran, its redelivery is a duplicate whatever came since; only a tombstone (a
    // null compensation before any forward) refuses it (anti-hanging).
    if (state === 'done' || state === 'failed' || state === 'confirmed' || state === 'compensated' || state === VOIDED_AFTER_FAILURE) return { next: state, result: 'duplicate' };
    return { next: state, result: 'refused' };
  }
  if (phase === 'compensate') {
    if (state === 'failed') return { next: VOIDED_AFTER_FAILURE, result: 'null' };
    if (state === undefined) return { next: 'voided', result: 'null' };
    if (state === 'done') return { next: 'compensated', result: 'effect' };
    if (state === 'confirmed' && participant === 'b') return { next: state, result: 'refused' };
    return { next: state, result: 'duplicate' };
  }
  // confirm (TCC only)
  if (state === 'done') return { next: 'confirmed', result: 'effect' };
  if (state === 'confirmed') return { next: state, result: 'duplicate' };
  if (state === undefined) return { next: state, result: 'retry' };
  return { next: state, result: 'refused' };
}

/** The model's state of a failed forward step that was then compensated: stored as `voided`, but its forward ran. */
export const VOIDED_AFTER_FAILURE = 'voided (after a failed forward)';

/** The barrier state stored for a model state. */
export const storedStateOf = (state: string | undefined): string | undefined => (state === VOIDED_AFTER_FAILURE ? 'voided' : state);

/** The effect log a barrier state implies: what took effect, in order. */
export function logFor(participant: 'a' | 'b', state: string | undefined): string[] {
  const first = participant === 'a' ? 'forward' : 'try';
  if (state === 'done') return [first];
  if (state === 'compensated') return [first, participant === 'a' ? 'undo' : 'cancel'];
  if (state === 'confirmed') return [first, 'confirm'];
  return [];
}
