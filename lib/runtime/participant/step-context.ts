import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AnySagaDefinition } from '../../core/definition.js';
import type { ValidatedEvent } from '../../core/envelope.js';
import type { Reaction } from '../../core/model.js';
import { StagingStepDb } from '../shared/step-db.js';
import type { CompensateContext, ConfirmContext, Emission, ForwardContext, ForwardState, StepData, StepResult } from './step-types.js';

/** The untyped view of a step implementation the runtime calls (types are enforced at the user's side). */
export interface AnyStepImplementation {
  forward(ctx: ForwardContext<AnySagaDefinition, never>): StepResult | Promise<StepResult>;
  compensate?(ctx: CompensateContext<AnySagaDefinition, never>): StepResult | Promise<StepResult>;
  /** TCC steps only (see lib/runtime/participant/tcc.ts). */
  confirm?(ctx: ConfirmContext<AnySagaDefinition, never>): StepResult | Promise<StepResult>;
}

interface StepContextInput {
  readonly def: AnySagaDefinition;
  readonly reaction: Reaction;
  readonly validated: ValidatedEvent;
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now: number;
  readonly forward: ForwardState | undefined;
}

/** Builds the context objects handed to step handlers, and collects what they stage. */
export function createStepContext(input: StepContextInput) {
  const { envelope, payload } = input.validated;
  const db = new StagingStepDb(input.client, input.tableName, input.reaction.participant);
  if (input.forward && input.forward.status !== 'done') db.freeze(`the null compensation of ${input.reaction.participant}.${input.reaction.step}`);
  let data: StepData | undefined;
  const common = {
    sagaId: envelope.sagaId,
    now: new Date(input.now),
    db,
    event: { id: envelope.eventId, type: envelope.type, producer: envelope.producer, occurredAt: envelope.occurredAt },
    payload,
    emit: (type: string, p: unknown): Emission => ({ type, payload: p }),
    retryLater: (reason: string, options?: { delaySeconds?: number }): StepResult =>
      options?.delaySeconds === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, delaySeconds: options.delaySeconds },
    reject: (reason: string): StepResult => ({ kind: 'reject', reason }),
    done: (...events: Emission[]): StepResult => ({ kind: 'done', events }),
  };
  const forwardView = {
    ...common,
    remember: (d: StepData) => {
      data = { ...(data ?? {}), ...d };
    },
    fail: (reason: string, ...events: Emission[]): StepResult => ({ kind: 'failed', reason, events }),
  } as unknown as ForwardContext<AnySagaDefinition, never>;
  const compensateView = {
    ...common,
    forward: input.forward ?? { status: 'absent' },
    ignore: (reason: string): StepResult => ({ kind: 'ignored', reason }),
  } as unknown as CompensateContext<AnySagaDefinition, never>;
  const confirmView = {
    ...common,
    reserved: input.forward?.status === 'done' ? input.forward.data : {},
  } as unknown as ConfirmContext<AnySagaDefinition, never>;
  return { db, forwardView, compensateView, confirmView, remembered: () => data };
}
