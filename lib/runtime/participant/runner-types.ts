import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AnySagaDefinition } from '../../core/definition.js';
import type { ValidatedEvent } from '../../core/envelope.js';
import type { Reaction } from '../../core/model.js';
import type { Clock, IdSource, Logger, Metrics } from '../shared/ports.js';
import type { BarrierState } from './barrier.js';
import type { AnyStepImplementation } from './step-context.js';

// The step runner's contract, apart from the runner: the TCC phases take the same deps and give the
// same outcomes, and the runner calls them (a file of its own keeps the two free of a cycle).

/** Test and simulation hooks: throw to simulate a process crash around the commit. */
export interface CommitFaults {
  beforeCommit?(info: { participant: string; step: string; eventId: string }): void;
  afterCommit?(info: { participant: string; step: string; eventId: string }): void;
}

export interface StepRunnerDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly maxConflictReruns: number;
  readonly faults?: CommitFaults;
}

/** What happened to one handled event. */
export type StepRunOutcome =
  | { readonly kind: 'committed'; readonly state: BarrierState; readonly events: readonly string[] }
  | { readonly kind: 'duplicate' | 'hanging-refused' }
  /** A forward step of a saga that had already ended (the end marker): refused, nothing committed. */
  | { readonly kind: 'ended-refused'; readonly reason: string }
  /** TCC: a confirm after a cancel or a cancel after a confirm — refused, and flagged by the participant. */
  | { readonly kind: 'conflict'; readonly reason: string }
  | { readonly kind: 'ignored' | 'retry' | 'reject'; readonly reason: string; readonly delaySeconds?: number };


/**
 * Runs the confirm or the cancel of a TCC step (`runTccSecondPhase`, lib/runtime/participant/tcc.ts).
 * The step runner gets it from `createTccParticipantHandler` only, so the bundle of a participant
 * without TCC steps leaves the TCC phase code out.
 */
export type TccPhaseRunner = (def: AnySagaDefinition, reaction: Reaction, validated: ValidatedEvent, impl: AnyStepImplementation, deps: StepRunnerDeps) => Promise<StepRunOutcome>;
