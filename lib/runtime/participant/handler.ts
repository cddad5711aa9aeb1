import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { AnySagaDefinition, ParticipantNameOf, StepSpec } from '../../core/definition.js';
import { parseEventBridgeBody, validateEvent, type ValidatedEvent } from '../../core/envelope.js';
import { ENV, readEnv, readIntEnv, readOptionalEnv } from '../../core/env.js';
import { EnvelopeError, isVersionMismatch, type RejectionReason } from '../../core/errors.js';
import { RESERVATION_EXPIRED_EVENT } from '../../core/definition.js';
import { selectReaction } from '../../core/model.js';
import { createDocumentClient, createSqsClient } from '../shared/aws-clients.js';
import { DEFAULT_BACKOFF, recoverFailedRecord, sqsVisibility, type BackoffPolicy, type FailedRecordInfo, type VisibilityPort } from './forward-recovery.js';
import { StepContractError } from '../shared/errors.js';
import { addLogFields, contextual, invocationFields, withLogFields, withTraceHeader, type InvocationContext } from '../shared/logging.js';
import { METRIC, randomIds, systemClock, type Clock, type IdSource, type Logger, type LogLevel, type Metrics } from '../shared/ports.js';
import { jsonLogger } from '../shared/logging.js';
import { emfMetrics } from '../shared/emf-metrics.js';
import { recordRejection } from '../shared/rejections.js';
import type { AnyStepImplementation } from './step-context.js';
import { runReaction, type CommitFaults, type StepRunOutcome, type TccPhaseRunner } from './step-runner.js';
import type { StepImplementations } from './step-types.js';

/** Dependencies of a participant handler; all optional ones have production defaults. */
export interface ParticipantDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** @default system clock */
  readonly clock?: Clock;
  /** @default random UUIDs */
  readonly ids?: IdSource;
  /** @default JSON lines at SAGA_LOG_LEVEL (info) */
  readonly logger?: Logger;
  /** @default CloudWatch embedded metric format */
  readonly metrics?: Metrics;
  /** In-process re-runs after a transaction conflict. @default 3 */
  readonly maxConflictReruns?: number;
  /** Simulation hooks around the commit. @default none */
  readonly faults?: CommitFaults;
  /** Called with each record's outcome (local cloud timelines, tests). @default none */
  readonly onOutcome?: (outcome: RecordOutcome) => void;
  /** Shortens a failed message's visibility to the retry backoff. @default none (the queue's visibility timeout applies) */
  readonly visibility?: VisibilityPort;
  /** The queue's maxReceiveCount: a message failing on that receive leaves a failure record. @default none (no failure records) */
  readonly maxReceiveCount?: number;
  /** Retry delays of failed messages. @default 2 s doubling, at most 15 min */
  readonly backoff?: BackoffPolicy;
}

type OptionalDeps = 'faults' | 'onOutcome' | 'visibility' | 'maxReceiveCount' | 'backoff';

export type RecordOutcome =
  | ({ readonly messageId: string; readonly eventId: string; readonly sagaId: string; readonly type: string; readonly participant: string; readonly step: string; readonly phase: string } & StepRunOutcome)
  | { readonly messageId: string; readonly kind: 'rejected'; readonly reason: RejectionReason; readonly message: string; readonly participant: string; readonly sagaId?: string }
  | { readonly messageId: string; readonly kind: 'error'; readonly message: string; readonly participant: string };

/** Resolves production dependencies from the environment, once per container (at first use). */
export function participantDepsFromEnv(def: AnySagaDefinition, participant: string): ParticipantDeps {
  const configured = readOptionalEnv(ENV.PARTICIPANT, participant);
  if (configured !== participant) {
    throw new StepContractError(`This function bundles participant "${participant}" but ${ENV.PARTICIPANT}=${JSON.stringify(configured)}. Point the construct at the right entry file.`);
  }
  return {
    client: createDocumentClient(),
    tableName: readEnv(ENV.TABLE_NAME),
    logger: jsonLogger(readOptionalEnv(ENV.LOG_LEVEL, 'info') as LogLevel, { service: participant }),
    metrics: emfMetrics('SagaChoreography', { Saga: def.name }),
    maxConflictReruns: readIntEnv(ENV.MAX_CONFLICT_RERUNS, 3),
    visibility: sqsVisibility(createSqsClient()),
    maxReceiveCount: readIntEnv(ENV.MAX_RECEIVE_COUNT, 5),
    backoff: { ...DEFAULT_BACKOFF, baseSeconds: readIntEnv(ENV.RETRY_BASE_SECONDS, DEFAULT_BACKOFF.baseSeconds) },
  };
}

/**
 * Creates the Lambda handler of one participant: an SQS batch handler (EventBridge events in the
 * message bodies) with `ReportBatchItemFailures`, so one bad record never fails the batch.
 *
 * @example
 * ```ts
 * export const handler = createParticipantHandler(orderSaga, 'inventory', {
 *   reserveStock: {
 *     async forward(ctx) { ...; return ctx.done(ctx.emit('StockReserved', { ... })); },
 *     async compensate(ctx) { ...; return ctx.done(ctx.emit('StockReleased', { ... })); },
 *   },
 * }); // dependencies come from the environment written by the constructs
 * ```
 *
 * Every log line written while a record is handled — by the framework or by the step's own
 * `logger` — carries the request id, the trace id, `saga`, `participant`, `messageId` and, once the
 * event is validated, `sagaId`, `eventId`, `type`, `step` and `phase` (lib/runtime/shared/logging.ts).
 *
 * A participant with a TCC step (a `confirmation`) is created with `createTccParticipantHandler`
 * instead (same arguments): it brings the confirm/cancel phase code, which the bundles of the
 * other participants leave out. Given one, this factory throws at once.
 */
export function createParticipantHandler<D extends AnySagaDefinition, P extends ParticipantNameOf<D>>(
  def: D,
  participant: P,
  steps: StepImplementations<D, P>,
  deps?: ParticipantDeps,
): ParticipantHandler {
  return participantHandler(def, participant, steps, deps);
}

/** A participant's Lambda handler: an SQS batch in, the failed records' ids out. */
export type ParticipantHandler = (event: SQSEvent, context?: InvocationContext) => Promise<SQSBatchResponse>;

/**
 * The handler factory behind `createParticipantHandler` and `createTccParticipantHandler`: `tcc`
 * runs the confirm and the cancel of TCC steps; without it, a participant with one is refused.
 */
export function participantHandler(def: AnySagaDefinition, participant: string, steps: unknown, deps: ParticipantDeps | undefined, tcc?: TccPhaseRunner): ParticipantHandler {
  checkImplementations(def, participant, steps as Record<string, AnyStepImplementation>, tcc !== undefined);
  let resolved: Required<Omit<ParticipantDeps, OptionalDeps>> & Pick<ParticipantDeps, OptionalDeps> | undefined;
  const resolve = () => {
    if (resolved) return resolved;
    const d = deps ?? participantDepsFromEnv(def, participant);
    resolved = {
      ...d,
      clock: d.clock ?? systemClock,
      ids: d.ids ?? randomIds,
      // Contextual: the saga's ids go on every line, whichever logger was given.
      logger: contextual(d.logger ?? jsonLogger('info', { service: participant })),
      metrics: d.metrics ?? emfMetrics('SagaChoreography', { Saga: def.name }),
      maxConflictReruns: d.maxConflictReruns ?? 3,
    };
    return resolved;
  };
  const impls = steps as unknown as Record<string, AnyStepImplementation>;

  async function handleRecord(record: SQSRecord, seen: { info?: Omit<FailedRecordInfo, 'participant' | 'error'>; reason?: string }): Promise<boolean> {
    const d = resolve();
    const reject = async (reason: RejectionReason, message: string, extra: { sagaId?: string; eventId?: string } = {}): Promise<boolean> => {
      await recordRejection(d.client, d.tableName, {
        consumer: participant,
        messageId: record.messageId,
        reason,
        message,
        body: record.body,
        receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? '1'),
        now: d.clock.now(),
        ...extra,
      });
      d.metrics.count(METRIC.rejections, 1, { Participant: participant, Reason: reason });
      d.logger.log('warn', 'message rejected', { participant, messageId: record.messageId, reason, detail: message });
      d.onOutcome?.({ messageId: record.messageId, kind: 'rejected', reason, message, participant, ...(extra.sagaId ? { sagaId: extra.sagaId } : {}) });
      return true;
    };
    let validated: ValidatedEvent;
    try {
      validated = await validateEvent(def, parseEventBridgeBody(record.body));
    } catch (error) {
      if (isVersionMismatch(error)) {
        // Not poison: a rolling upgrade in progress (a saga of a version this participant does not
        // serve). Never acknowledged: it is retried with backoff and ends in the DLQ with this
        // reason, to be redriven once a participant of its version runs (docs/recovery.md "Upgrading a saga").
        seen.info = { sagaId: error.context.sagaId as string | undefined, eventId: error.context.eventId as string | undefined, type: error.context.type as string | undefined };
        addLogFields(seen.info);
        seen.reason = error.message;
        d.metrics.count(METRIC.retries, 1, { Participant: participant });
        d.logger.log('warn', 'event of a definition version this participant does not serve; retried, not acknowledged', { participant, messageId: record.messageId, detail: error.message });
        d.onOutcome?.({ messageId: record.messageId, kind: 'error', message: error.message, participant });
        return false;
      }
      if (error instanceof EnvelopeError) {
        addLogFields({ sagaId: error.context.sagaId, eventId: error.context.eventId });
        return reject(error.reason, error.message, { sagaId: error.context.sagaId as string | undefined, eventId: error.context.eventId as string | undefined });
      }
      throw error;
    }
    const { envelope } = validated;
    addLogFields({ sagaId: envelope.sagaId, eventId: envelope.eventId, type: envelope.type });
    const reaction = selectReaction(def, participant, envelope.type, validated.payload);
    // A reservation expiry addressed to another TCC participant (a rule without the payload filter).
    if (!reaction && envelope.type === RESERVATION_EXPIRED_EVENT) return true;
    if (!reaction) {
      return reject('not-subscribed', `Participant "${participant}" has no reaction to ${envelope.type}; check the EventBridge rule of its queue.`, { sagaId: envelope.sagaId, eventId: envelope.eventId });
    }
    seen.info = { sagaId: envelope.sagaId, eventId: envelope.eventId, type: envelope.type, step: reaction.step, phase: reaction.phase, ...(reaction.spec.mustSucceed ? { mustSucceed: true } : {}) };
    addLogFields({ step: reaction.step, phase: reaction.phase });
    const outcome = await runReaction(def, reaction, validated, impls[reaction.step]!, d, tcc);
    // At debug level (SAGA_LOG_LEVEL=debug) the logs hold every step of a saga, not only its troubles.
    d.logger.log('debug', 'step handled', { outcome: outcome.kind, ...(outcome.kind === 'committed' ? { state: outcome.state, emitted: outcome.events } : {}) });
    d.onOutcome?.({ messageId: record.messageId, eventId: envelope.eventId, sagaId: envelope.sagaId, type: envelope.type, participant, step: reaction.step, phase: reaction.phase, ...outcome });
    if (outcome.kind === 'reject') return reject('handler-rejected', outcome.reason, { sagaId: envelope.sagaId, eventId: envelope.eventId });
    // A TCC confirm after a cancel (or the reverse) is refused, never silently dropped: kept with its reason.
    if (outcome.kind === 'conflict') return reject('phase-conflict', outcome.reason, { sagaId: envelope.sagaId, eventId: envelope.eventId });
    if (outcome.kind === 'retry') {
      d.metrics.count(METRIC.retries, 1, { Participant: participant });
      d.logger.log('info', 'step will be retried', { participant, step: reaction.step, eventId: envelope.eventId, reason: outcome.reason });
      seen.reason = `retryLater: ${outcome.reason}`;
      if (outcome.delaySeconds !== undefined) seen.info = { ...seen.info, delaySeconds: outcome.delaySeconds };
      return false;
    }
    return true;
  }

  /** Forward recovery of a failed record: backoff, and a failure record on its last receive. */
  async function retryWithBackoff(record: SQSRecord, info: FailedRecordInfo): Promise<void> {
    const d = resolve();
    try {
      await recoverFailedRecord(record, info, {
        client: d.client,
        tableName: d.tableName,
        now: d.clock.now(),
        ...(d.visibility ? { visibility: d.visibility } : {}),
        ...(d.maxReceiveCount !== undefined ? { maxReceiveCount: d.maxReceiveCount } : {}),
        ...(d.backoff ? { backoff: d.backoff } : {}),
        onLastAttempt: (f) => {
          d.metrics.count(METRIC.lastAttemptFailures, 1, { Participant: participant });
          d.logger.log('error', 'message failed its last allowed attempt; it moves to the DLQ', { participant, messageId: f.messageId, sagaId: f.sagaId, step: f.step, error: f.error });
        },
      });
    } catch (error) {
      d.logger.log('error', 'could not record a failed message', { participant, messageId: record.messageId, error: (error as Error).message });
    }
  }

  return (event: SQSEvent, context?: InvocationContext): Promise<SQSBatchResponse> => withLogFields({ ...invocationFields(context), saga: def.name, participant }, () => handleBatch(event));

  async function handleBatch(event: SQSEvent): Promise<SQSBatchResponse> {
    const batchItemFailures: { itemIdentifier: string }[] = [];
    // Sequential on purpose: a batch rarely holds two events of one saga, and sequential commits keep
    // the local cloud deterministic; Lambda concurrency comes from parallel batches.
    for (const record of event.Records) {
      // One log context per record (its saga's ids, added as they become known) and the trace
      // header its event travelled with (carried into the outbox rows the step writes).
      await withLogFields({ messageId: record.messageId }, () =>
        withTraceHeader(record.attributes?.AWSTraceHeader, async () => {
          let ok = false;
          const seen: { info?: Omit<FailedRecordInfo, 'participant' | 'error'>; reason?: string } = {};
          try {
            ok = await handleRecord(record, seen);
          } catch (error) {
            const d = resolve();
            const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
            seen.reason = message;
            d.logger.log('error', 'record failed; it returns to the queue', { participant, messageId: record.messageId, error: message });
            d.onOutcome?.({ messageId: record.messageId, kind: 'error', message, participant });
          }
          if (!ok) {
            batchItemFailures.push({ itemIdentifier: record.messageId });
            await retryWithBackoff(record, { ...seen.info, participant, error: seen.reason ?? 'unknown failure' });
          }
        }),
      );
    }
    return { batchItemFailures };
  }
}

function checkImplementations(def: AnySagaDefinition, participant: string, steps: Record<string, AnyStepImplementation>, withTcc: boolean): void {
  const spec = (def.participants as Record<string, { steps: Record<string, StepSpec> } | undefined>)[participant];
  if (!spec) {
    throw new StepContractError(`Saga "${def.name}" has no participant ${JSON.stringify(participant)}. Participants: ${Object.keys(def.participants).join(', ')}.`);
  }
  for (const [step, s] of Object.entries(spec.steps)) {
    const impl = steps[step];
    if (!impl || typeof impl.forward !== 'function') {
      throw new StepContractError(`Participant "${participant}" is missing an implementation of step "${step}" (a forward function).`, { participant, step });
    }
    if (s.compensation && typeof impl.compensate !== 'function') {
      throw new StepContractError(`Participant "${participant}" step "${step}" declares a compensation but its implementation has no compensate function.`, { participant, step });
    }
    if (s.confirmation && typeof impl.confirm !== 'function') {
      throw new StepContractError(`Participant "${participant}" step "${step}" is a TCC step (it declares a confirmation) but its implementation has no confirm function.`, { participant, step });
    }
    if (s.confirmation && !withTcc) {
      throw new StepContractError(
        `Participant "${participant}" step "${step}" is a TCC step (it declares a confirmation): create this participant's handler with createTccParticipantHandler (same arguments), which carries the confirm/cancel phases that participants without TCC steps leave out of their bundles.`,
        { participant, step },
      );
    }
  }
  for (const step of Object.keys(steps)) {
    if (!spec.steps[step]) throw new StepContractError(`Participant "${participant}" implements "${step}", which the definition does not declare. Steps: ${Object.keys(spec.steps).join(', ')}.`);
  }
}
