import type { AnySagaDefinition, ParticipantNameOf, PayloadOf, RESERVATION_EXPIRED_EVENT, StepSpec, StepsOf } from '../../core/definition.js';
import type { StepDb } from '../shared/step-db.js';

/** JSON-compatible map stored with a step (e.g. what a compensation needs to undo it). */
export type StepData = Readonly<Record<string, unknown>>;

// Defined with the outbox rows it becomes (shared by every seam that writes events).
export type { Emission } from '../shared/outbox.js';
import type { Emission } from '../shared/outbox.js';

/**
 * The closed set of step outcomes and what the runtime does with each:
 * - `done`: commit barrier + writes + outbox; message acknowledged.
 * - `failed`: a business failure; commit the barrier and the failure events (no error).
 * - `retry`: transient; nothing committed, the message returns to the queue (then the DLQ).
 * - `reject`: poison; nothing committed, a rejection record keeps it with the reason; acknowledged.
 * - `ignored`: compensation only — the step is past the saga's pivot, the timeout does not undo it.
 */
export type StepResult =
  | { readonly kind: 'done'; readonly events: readonly Emission[] }
  | { readonly kind: 'failed'; readonly reason: string; readonly events: readonly Emission[] }
  | { readonly kind: 'retry'; readonly reason: string; readonly delaySeconds?: number }
  | { readonly kind: 'reject'; readonly reason: string }
  | { readonly kind: 'ignored'; readonly reason: string };

type Names<T> = T extends readonly (infer E)[] ? E & string : never;
export type EmitsOf<S extends StepSpec> = Names<S['emits']>;
export type FailsOf<S extends StepSpec> = Names<S['failsWith']>;
/** A TCC step's phases can also be triggered by the reconciler's {@link RESERVATION_EXPIRED_EVENT}. */
type ExpiryTrigger<S extends StepSpec> = S['confirmation'] extends object ? typeof RESERVATION_EXPIRED_EVENT : never;
export type CompensationTriggersOf<S extends StepSpec> = (S['compensation'] extends { readonly on: infer On } ? Names<On> : never) | ExpiryTrigger<S>;
export type ConfirmationTriggersOf<S extends StepSpec> = (S['confirmation'] extends { readonly on: infer On } ? Names<On> : never) | ExpiryTrigger<S>;
export type ConfirmationEmitsOf<S extends StepSpec> = S['confirmation'] extends { readonly emits: infer Em } ? Names<Em> : never;
export type CompensationEmitsOf<S extends StepSpec> = S['compensation'] extends { readonly emits: infer Em } ? Names<Em> : never;

/** Facts about the event being handled. */
export interface IncomingEventInfo<E extends string> {
  readonly id: string;
  readonly type: E;
  readonly producer: string;
  readonly occurredAt: string;
}

interface CommonContext {
  readonly sagaId: string;
  /** The clock's time when the step started (virtual in the local cloud). */
  readonly now: Date;
  /** Consistent reads and staged writes, committed in the step's single transaction. */
  readonly db: StepDb;
  /**
   * Transient trouble: the message goes back to the queue and is retried — after `delaySeconds`
   * when given, else after the participant's backoff (2 s doubling per receive) — and ends in the
   * DLQ after the queue's maxReceiveCount.
   */
  retryLater(reason: string, options?: { readonly delaySeconds?: number }): StepResult;
  /** Poison: never retried, kept in a rejection record with the reason. */
  reject(reason: string): StepResult;
}

/** What a forward step handler receives. */
export interface ForwardContext<D extends AnySagaDefinition, S extends StepSpec> extends CommonContext {
  readonly event: IncomingEventInfo<S['on']>;
  readonly payload: PayloadOf<D, S['on']>;
  /** Stages an event; only the step's declared `emits`/`failsWith` events type-check. */
  emit<E extends EmitsOf<S> | FailsOf<S>>(type: E, payload: PayloadOf<D, E>): Emission<E>;
  /** Keeps data with the step record for its compensation (e.g. the quantity reserved). */
  remember(data: StepData): void;
  done(...events: Emission<EmitsOf<S>>[]): StepResult;
  fail(reason: string, ...events: Emission<FailsOf<S>>[]): StepResult;
}

/** What the forward step left behind, as seen by its compensation. */
export type ForwardState = { readonly status: 'done'; readonly data: StepData } | { readonly status: 'absent' } | { readonly status: 'failed' };

/** What a compensation handler receives. */
export interface CompensateContext<D extends AnySagaDefinition, S extends StepSpec> extends CommonContext {
  readonly event: IncomingEventInfo<CompensationTriggersOf<S>>;
  readonly payload: PayloadOf<D, CompensationTriggersOf<S>>;
  /**
   * `done`: undo its effect. `absent`/`failed`: a null compensation — the runtime records a
   * tombstone (refusing a late forward step) and forbids business writes; still emit the events.
   */
  readonly forward: ForwardState;
  emit<E extends CompensationEmitsOf<S>>(type: E, payload: PayloadOf<D, E>): Emission<E>;
  done(...events: Emission<CompensationEmitsOf<S>>[]): StepResult;
  /** Only for a `pivot` step already done: the saga moves forward, the timeout is ignored. */
  ignore(reason: string): StepResult;
}

/**
 * What the confirm of a TCC step receives. The try's reservation is in `reserved` (what the try
 * `remember`ed). A confirm cannot fail: it commits what the try reserved, and transient trouble is
 * `retryLater` (then the DLQ, where an operator sees it) — `reject` is treated as a retry.
 */
export interface ConfirmContext<D extends AnySagaDefinition, S extends StepSpec> extends CommonContext {
  readonly event: IncomingEventInfo<ConfirmationTriggersOf<S>>;
  readonly payload: PayloadOf<D, ConfirmationTriggersOf<S>>;
  /** What the try remembered (e.g. the customer and the number of points frozen). */
  readonly reserved: StepData;
  emit<E extends ConfirmationEmitsOf<S>>(type: E, payload: PayloadOf<D, E>): Emission<E>;
  done(...events: Emission<ConfirmationEmitsOf<S>>[]): StepResult;
}

export type StepImplementation<D extends AnySagaDefinition, S extends StepSpec> = {
  /** The forward step; for a TCC step (with a `confirmation`), the *try*: reserve, and remember what. */
  forward(ctx: ForwardContext<D, S>): StepResult | Promise<StepResult>;
} & (S['compensation'] extends object
  ? {
      /** Undo the forward step; for a TCC step, the *cancel*: release the reservation. */
      compensate(ctx: CompensateContext<D, S>): StepResult | Promise<StepResult>;
    }
  : { compensate?: undefined }) &
  (S['confirmation'] extends object
    ? {
        /** TCC only: commit the reservation the try made (spend the frozen points). */
        confirm(ctx: ConfirmContext<D, S>): StepResult | Promise<StepResult>;
      }
    : { confirm?: undefined });

/**
 * The step handlers of one participant, typed from the definition: payload types, allowed
 * emissions and whether a compensation is required all come from the saga definition.
 */
export type StepImplementations<D extends AnySagaDefinition, P extends ParticipantNameOf<D>> = {
  readonly [S in keyof StepsOf<D, P> & string]: StepsOf<D, P>[S] extends StepSpec ? StepImplementation<D, StepsOf<D, P>[S]> : never;
};
