import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { AnySagaDefinition, ParticipantNameOf, StepSpec } from '../core/definition.js';
import { parseEventBridgeBody, validateEvent, type ValidatedEvent } from '../core/envelope.js';
import { ENV, readEnv, readIntEnv, readOptionalEnv } from '../core/env.js';
import { EnvelopeError, type RejectionReason } from '../core/errors.js';
import { reactionsTo } from '../core/model.js';
import { createDocumentClient } from './aws-clients.js';
import { StepContractError } from './errors.js';
import { emfMetrics, jsonLogger, METRIC, randomIds, systemClock, type Clock, type IdSource, type Logger, type LogLevel, type Metrics } from './ports.js';
import { recordRejection } from './rejections.js';
import type { AnyStepImplementation } from './step-context.js';
import { runReaction, type CommitFaults, type StepRunOutcome } from './step-runner.js';
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
}

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
    logger: jsonLogger(readOptionalEnv(ENV.LOG_LEVEL, 'info') as LogLevel),
    metrics: emfMetrics('SagaChoreography', { Saga: def.name }),
    maxConflictReruns: readIntEnv(ENV.MAX_CONFLICT_RERUNS, 3),
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
 */
export function createParticipantHandler<D extends AnySagaDefinition, P extends ParticipantNameOf<D>>(
  def: D,
  participant: P,
  steps: StepImplementations<D, P>,
  deps?: ParticipantDeps,
): (event: SQSEvent) => Promise<SQSBatchResponse> {
  checkImplementations(def, participant, steps as unknown as Record<string, AnyStepImplementation>);
  let resolved: Required<Omit<ParticipantDeps, 'faults' | 'onOutcome'>> & Pick<ParticipantDeps, 'faults' | 'onOutcome'> | undefined;
  const resolve = () => {
    if (resolved) return resolved;
    const d = deps ?? participantDepsFromEnv(def, participant);
    resolved = {
      ...d,
      clock: d.clock ?? systemClock,
      ids: d.ids ?? randomIds,
      logger: d.logger ?? jsonLogger(),
      metrics: d.metrics ?? emfMetrics('SagaChoreography', { Saga: def.name }),
      maxConflictReruns: d.maxConflictReruns ?? 3,
    };
    return resolved;
  };
  const impls = steps as unknown as Record<string, AnyStepImplementation>;

  async function handleRecord(record: SQSRecord): Promise<boolean> {
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
      if (error instanceof EnvelopeError) return reject(error.reason, error.message, { sagaId: error.context.sagaId as string | undefined, eventId: error.context.eventId as string | undefined });
      throw error;
    }
    const { envelope } = validated;
    const reaction = reactionsTo(def, participant, envelope.type)[0];
    if (!reaction) {
      return reject('not-subscribed', `Participant "${participant}" has no reaction to ${envelope.type}; check the EventBridge rule of its queue.`, { sagaId: envelope.sagaId, eventId: envelope.eventId });
    }
    const outcome = await runReaction(def, reaction, validated, impls[reaction.step]!, d);
    d.onOutcome?.({ messageId: record.messageId, eventId: envelope.eventId, sagaId: envelope.sagaId, type: envelope.type, participant, step: reaction.step, phase: reaction.phase, ...outcome });
    if (outcome.kind === 'reject') return reject('handler-rejected', outcome.reason, { sagaId: envelope.sagaId, eventId: envelope.eventId });
    if (outcome.kind === 'retry') {
      d.metrics.count(METRIC.retries, 1, { Participant: participant });
      d.logger.log('info', 'step will be retried', { participant, step: reaction.step, eventId: envelope.eventId, reason: outcome.reason });
      return false;
    }
    return true;
  }

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const batchItemFailures: { itemIdentifier: string }[] = [];
    // Sequential on purpose: a batch rarely holds two events of one saga, and sequential commits keep
    // the local cloud deterministic; Lambda concurrency comes from parallel batches.
    for (const record of event.Records) {
      let ok = false;
      try {
        ok = await handleRecord(record);
      } catch (error) {
        const d = resolve();
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        d.logger.log('error', 'record failed; it returns to the queue', { participant, messageId: record.messageId, error: message });
        d.onOutcome?.({ messageId: record.messageId, kind: 'error', message, participant });
      }
      if (!ok) batchItemFailures.push({ itemIdentifier: record.messageId });
    }
    return { batchItemFailures };
  };
}

function checkImplementations(def: AnySagaDefinition, participant: string, steps: Record<string, AnyStepImplementation>): void {
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
  }
  for (const step of Object.keys(steps)) {
    if (!spec.steps[step]) throw new StepContractError(`Participant "${participant}" implements "${step}", which the definition does not declare. Steps: ${Object.keys(spec.steps).join(', ')}.`);
  }
}
