import type { StandardSchemaV1 } from '@standard-schema/spec';
import { callerFile, recordDefinedIn } from './definition-source.js';
import { checkVersionFields } from './versions.js';
import { DefinitionError } from './errors.js';
import { object, oneOf, schema, string, type FrameworkSchema, type Out } from './schema.js';

/** The event the reconciler publishes when a saga passes its deadline; every definition has it. */
export const TIMEOUT_EVENT = 'SagaTimedOut';

/** Producer names the framework keeps for itself (saga starter, reconciler, tracker). */
export const INITIATOR = 'initiator';
export const RECONCILER = 'reconciler';
/** Consumer of terminal events that notifies external endpoints (best-effort notification); keeps `notifier#` items. */
export const NOTIFIER = 'notifier';
export const RESERVED_PARTICIPANT_NAMES = [INITIATOR, RECONCILER, 'saga', 'tracker', 'relay', NOTIFIER] as const;

const timeoutPayload = object({ deadline: string(), reason: string() });
/** Payload of {@link TIMEOUT_EVENT}. */
export type TimeoutPayload = Out<typeof timeoutPayload>;
/** Schema of {@link TimeoutPayload} (a Standard Schema, as every event schema is). */
export const timeoutPayloadSchema: FrameworkSchema<TimeoutPayload> = schema(timeoutPayload);

/**
 * The event the reconciler publishes when a TCC reservation outlived its expiry without being
 * confirmed or cancelled: it carries the saga's decision (read from the saga record) so the TCC
 * participant runs its confirm or its cancel — through the same barrier as the regular triggers.
 * Every TCC step reacts to it implicitly; it is never declared under `events`.
 */
export const RESERVATION_EXPIRED_EVENT = 'ReservationExpired';

const reservationExpiredPayload = object({
  participant: string(),
  step: string(),
  /** `confirm` when the saga completed, `cancel` when it was compensated or is gone. */
  decision: oneOf(['confirm', 'cancel']),
  /** The saga's status when the reconciler decided (`absent` when there is no saga record). */
  sagaStatus: string(),
  expiredAt: string(),
});
/** Payload of {@link RESERVATION_EXPIRED_EVENT}. */
export type ReservationExpiredPayload = Out<typeof reservationExpiredPayload>;
/** Schema of {@link ReservationExpiredPayload}. */
export const reservationExpiredPayloadSchema: FrameworkSchema<ReservationExpiredPayload> = schema(reservationExpiredPayload);

/** Framework events: produced by the framework itself, never declared in a definition's `events`. */
export const FRAMEWORK_EVENTS = [TIMEOUT_EVENT, RESERVATION_EXPIRED_EVENT] as const;

/** Any Standard Schema (zod 4, valibot, arktype …) describing one event's payload. */
export type EventSchema = StandardSchemaV1<unknown, unknown>;
export type EventSchemas = Readonly<Record<string, EventSchema>>;

/** How a forward step is undone (backward recovery). */
export interface CompensationSpec<E extends string = string> {
  /** Events that make this participant undo the step, e.g. `['PaymentDeclined']`. */
  readonly on: readonly E[];
  /** Events the compensation may emit (also when it is a null compensation). */
  readonly emits: readonly E[];
}

/**
 * The confirm phase of a TCC step (try / confirm / cancel). A step with both `compensation` (its
 * cancel) and `confirmation` (its confirm) is a TCC step: its forward reaction is the *try*, which
 * only reserves (freezes points, holds stock) until the saga's outcome is known.
 */
export interface ConfirmationSpec<E extends string = string> {
  /** Events that commit the reservation, typically the saga's success terminal, e.g. `['OrderCompleted']`. */
  readonly on: readonly E[];
  /** Events the confirm may emit. @default [] */
  readonly emits?: readonly E[];
  /**
   * Seconds a reservation is held after its try before the reconciler asks for the saga's decision
   * and sends {@link RESERVATION_EXPIRED_EVENT}. @default 2 × the saga's deadlineSeconds
   */
  readonly reservationSeconds?: number;
}

/** One reaction of a participant: the event it consumes and what it may emit. */
export interface StepSpec<E extends string = string> {
  /** The event that triggers the forward step. */
  readonly on: E;
  /** Events emitted when the step succeeds with a business effect. @default [] */
  readonly emits?: readonly E[];
  /** Business-failure events, emitted when the step decides not to act (no effect). @default [] */
  readonly failsWith?: readonly E[];
  /** Backward recovery. A step with an effect needs one unless it is `pivot` or `mustSucceed`. */
  readonly compensation?: CompensationSpec<E>;
  /**
   * The saga's point of no return: once this step is done, a timeout no longer compensates it and
   * the saga can only move forward. @default false
   */
  readonly pivot?: boolean;
  /** Forward recovery: the step never fails, it retries with backoff and ends in its DLQ. @default false */
  readonly mustSucceed?: boolean;
  /**
   * Makes the step a TCC step (needs `compensation`, the cancel): the forward step is the try, this
   * is the confirm. Confirm and cancel must eventually succeed (retries, then the DLQ). @default none
   */
  readonly confirmation?: ConfirmationSpec<E>;
  /**
   * A deadline of this step alone: seconds after its triggering event occurred by which the step
   * must have run (emitted one of its events). Past it, the saga times out as when its own deadline
   * passes — the reconciler publishes {@link TIMEOUT_EVENT} and the failure path runs. Checked by
   * the verifier against the saga's `deadlineSeconds`. @default none: only the saga's deadline
   *
   * @example
   * ```ts
   * capturePayment: { on: 'PointsFrozen', emits: ['PaymentCaptured'], failsWith: ['PaymentDeclined'], pivot: true, deadlineSeconds: 30, compensation: { on: ['SagaTimedOut'], emits: ['PaymentVoided'] } }
   * ```
   */
  readonly deadlineSeconds?: number;
}

export interface ParticipantSpec<E extends string = string> {
  /** Short description shown by `saga graph`. @default none */
  readonly description?: string;
  readonly steps: Readonly<Record<string, StepSpec<E>>>;
}

/** The user-facing shape accepted by {@link defineSaga}. */
export interface SagaDefinitionInput<
  Ev extends EventSchemas = EventSchemas,
  P extends Readonly<Record<string, ParticipantSpec<EventNameOf<Ev>>>> = Readonly<Record<string, ParticipantSpec<string>>>,
> {
  /** Saga name; becomes part of every event source (`saga.<name>.<participant>`). */
  readonly name: string;
  /**
   * Positive integer. Each saga is pinned to the version it started on: its events carry it, and
   * handlers of another version retry them (never acknowledge them) until the right one serves them.
   */
  readonly version: number;
  /**
   * Earlier versions whose sagas may still be in flight while this one is deployed (a rolling
   * upgrade). The tracker and reconciler of this version serve their sagas with their own
   * definitions; their participants either stay deployed beside this version's (the default: the
   * rules route each event by its version) or are taken over by this version (`migratesFrom`).
   * Drop a version once `saga versions` (or the `OpenSagas` metric by version) says it has drained.
   * See docs/recovery.md "Upgrading a saga". @default none
   *
   * @example
   * ```ts
   * export const orderSagaV2 = defineSaga({ ...v2Input, version: 2, previousVersions: [orderSagaV1] });
   * ```
   */
  readonly previousVersions?: readonly AnySagaDefinition[];
  /**
   * Previous versions whose in-flight sagas this version's participants serve in place (an
   * explicit migration: no old participants stay deployed). The upgrade check
   * (`verifyUpgrade`, `saga verify --app <v2>`) then requires every event, step and compensation
   * those sagas can still need to exist in this version. Each must be in `previousVersions`. @default none
   */
  readonly migratesFrom?: readonly number[];
  readonly description?: string;
  /** Event schemas by event name (PascalCase, e.g. `OrderRequested`). */
  readonly events: Ev;
  /** The event that starts a saga; produced by the initiator (`startSaga`). */
  readonly start: EventNameOf<Ev> & string;
  readonly participants: P;
  readonly terminal: {
    readonly success: readonly (keyof Ev & string)[];
    readonly failure: readonly (keyof Ev & string)[];
  };
  /** Seconds after the start event when a non-terminal saga times out and compensates. */
  readonly deadlineSeconds: number;
}

/** Event names of a schema map plus the framework's timeout event. */
export type EventNameOf<Ev extends EventSchemas> = (keyof Ev & string) | typeof TIMEOUT_EVENT;

/** A validated saga definition: plain data, read by the runtime, the constructs, the verifier and the CLI. */
export type SagaDefinition<
  Ev extends EventSchemas = EventSchemas,
  P extends Readonly<Record<string, ParticipantSpec<EventNameOf<Ev>>>> = Readonly<Record<string, ParticipantSpec<string>>>,
> = SagaDefinitionInput<Ev, P> & { readonly kind: 'saga-definition' };

/** Any definition, whatever its event and participant types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySagaDefinition = SagaDefinition<any, any>;

/** Payload type of event `E` in definition `D`, inferred from its schema. */
export type PayloadOf<D extends AnySagaDefinition, E extends string> = E extends typeof TIMEOUT_EVENT
  ? TimeoutPayload
  : E extends typeof RESERVATION_EXPIRED_EVENT
    ? ReservationExpiredPayload
  : D['events'][E] extends StandardSchemaV1<unknown, infer O>
    ? O
    : never;

export type ParticipantNameOf<D extends AnySagaDefinition> = keyof D['participants'] & string;
export type StepsOf<D extends AnySagaDefinition, P extends ParticipantNameOf<D>> = D['participants'][P]['steps'];

const NAME = /^[A-Za-z][A-Za-z0-9]{0,62}$/;
const PARTICIPANT_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * Declares a saga: events with schemas, participants and their reactions, terminals, deadline.
 * Structural mistakes (unknown event names, bad names) throw {@link DefinitionError} at once;
 * choreography mistakes (cycles, missing compensations …) are found by `verifyDefinition`.
 *
 * @example
 * ```ts
 * const saga = defineSaga({
 *   name: 'order', version: 1, deadlineSeconds: 300, start: 'OrderRequested',
 *   events: { OrderRequested: z.object({ orderId: z.string() }), OrderDone: z.object({ orderId: z.string() }) },
 *   participants: { order: { steps: { finish: { on: 'OrderRequested', emits: ['OrderDone'] } } } },
 *   terminal: { success: ['OrderDone'], failure: [] },
 * });
 * ```
 */
export function defineSaga<
  const Ev extends EventSchemas,
  const P extends Readonly<Record<string, ParticipantSpec<EventNameOf<Ev>>>>,
>(input: SagaDefinitionInput<Ev, P>): SagaDefinition<Ev, P> {
  checkStructure(input as unknown as SagaDefinitionInput);
  checkVersionFields(input as unknown as SagaDefinitionInput);
  // The calling module is remembered so the CDK constructs can bundle the framework's functions
  // with this definition (lib/core/definition-source.ts).
  return Object.freeze(recordDefinedIn({ ...input, kind: 'saga-definition' as const }, callerFile(defineSaga)));
}

function checkStructure(def: SagaDefinitionInput): void {
  const where = { definition: def.name };
  if (typeof def.name !== 'string' || !PARTICIPANT_NAME.test(def.name)) {
    throw new DefinitionError(
      `Saga name ${JSON.stringify(def.name)} is invalid: use lower-case letters, digits and '-', starting with a letter (max 40), e.g. "order".`,
      where,
    );
  }
  if (!Number.isInteger(def.version) || def.version < 1) {
    throw new DefinitionError(`Saga "${def.name}": version must be a positive integer, got ${JSON.stringify(def.version)}.`, where);
  }
  if (!(typeof def.deadlineSeconds === 'number' && def.deadlineSeconds > 0 && Number.isFinite(def.deadlineSeconds))) {
    throw new DefinitionError(
      `Saga "${def.name}": deadlineSeconds must be a positive number of seconds, got ${JSON.stringify(def.deadlineSeconds)}.`,
      where,
    );
  }
  const known = new Set([...Object.keys(def.events), TIMEOUT_EVENT]);
  for (const name of Object.keys(def.events)) {
    if (!NAME.test(name)) {
      throw new DefinitionError(`Saga "${def.name}": event name ${JSON.stringify(name)} is invalid; use PascalCase letters and digits, e.g. "OrderCreated".`, where);
    }
    if ((FRAMEWORK_EVENTS as readonly string[]).includes(name)) {
      throw new DefinitionError(`Saga "${def.name}": event "${name}" is built in; remove it from "events".`, where);
    }
    const schema = def.events[name] as Partial<EventSchema> | undefined;
    if (!schema || typeof schema['~standard']?.validate !== 'function') {
      throw new DefinitionError(`Saga "${def.name}": event "${name}" needs a Standard Schema (e.g. a zod 4 schema), got ${typeof schema}.`, where);
    }
  }
  const mustKnow = (event: string, role: string): void => {
    if (!known.has(event)) {
      throw new DefinitionError(
        `Saga "${def.name}": ${role} refers to unknown event ${JSON.stringify(event)}. Known events: ${[...known].join(', ')}. Declare it under "events" or fix the name.`,
        { ...where, event },
      );
    }
  };
  mustKnow(def.start, 'start');
  def.terminal.success.forEach((e) => mustKnow(e, 'terminal.success'));
  def.terminal.failure.forEach((e) => mustKnow(e, 'terminal.failure'));
  if (def.terminal.success.length === 0) {
    throw new DefinitionError(`Saga "${def.name}": terminal.success is empty; name the event that means the saga completed.`, where);
  }
  if (Object.keys(def.participants).length === 0) {
    throw new DefinitionError(`Saga "${def.name}": no participants; add at least one under "participants".`, where);
  }
  for (const [participant, spec] of Object.entries(def.participants)) {
    const at = `participant "${participant}"`;
    if (!PARTICIPANT_NAME.test(participant)) {
      throw new DefinitionError(
        `Saga "${def.name}": participant name ${JSON.stringify(participant)} is invalid; use lower-case letters, digits and '-' (max 40), e.g. "inventory".`,
        { ...where, participant },
      );
    }
    if ((RESERVED_PARTICIPANT_NAMES as readonly string[]).includes(participant)) {
      throw new DefinitionError(
        `Saga "${def.name}": participant name "${participant}" is reserved for the framework (${RESERVED_PARTICIPANT_NAMES.join(', ')}); rename it.`,
        { ...where, participant },
      );
    }
    if (Object.keys(spec.steps).length === 0) {
      throw new DefinitionError(`Saga "${def.name}": ${at} has no steps.`, { ...where, participant });
    }
    for (const [step, s] of Object.entries(spec.steps)) {
      if (!NAME.test(step)) {
        throw new DefinitionError(`Saga "${def.name}": ${at} step name ${JSON.stringify(step)} is invalid; use letters and digits, e.g. "holdSeat".`, { ...where, participant, step });
      }
      const role = `${at} step "${step}"`;
      mustKnow(s.on, `${role} "on"`);
      (s.emits ?? []).forEach((e) => mustKnow(e, `${role} "emits"`));
      (s.failsWith ?? []).forEach((e) => mustKnow(e, `${role} "failsWith"`));
      if (s.compensation) {
        if (s.compensation.on.length === 0) {
          throw new DefinitionError(`Saga "${def.name}": ${role} has a compensation with an empty "on"; name the failure events that trigger it.`, { ...where, participant, step });
        }
        s.compensation.on.forEach((e) => mustKnow(e, `${role} compensation "on"`));
        s.compensation.emits.forEach((e) => mustKnow(e, `${role} compensation "emits"`));
      }
      if (s.confirmation) checkConfirmation(def, role, s, mustKnow, { ...where, participant, step });
      if (s.deadlineSeconds !== undefined) {
        if (!(typeof s.deadlineSeconds === 'number' && Number.isFinite(s.deadlineSeconds) && s.deadlineSeconds > 0)) {
          throw new DefinitionError(`Saga "${def.name}": ${role} deadlineSeconds must be a positive number of seconds, got ${JSON.stringify(s.deadlineSeconds)}.`, { ...where, participant, step });
        }
        if (s.mustSucceed) {
          throw new DefinitionError(`Saga "${def.name}": ${role} is mustSucceed and has a deadline; a must-succeed step retries until it succeeds, so a deadline cannot send it down the failure path. Remove one of them.`, { ...where, participant, step });
        }
      }
      if (s.mustSucceed && (s.failsWith ?? []).length > 0) {
        throw new DefinitionError(`Saga "${def.name}": ${role} is mustSucceed but declares failsWith; a must-succeed step retries instead of failing. Remove one of them.`, { ...where, participant, step });
      }
    }
  }
}

function checkConfirmation(def: SagaDefinitionInput, role: string, s: StepSpec, mustKnow: (event: string, role: string) => void, where: Record<string, string>): void {
  const c = s.confirmation!;
  if (!s.compensation) {
    throw new DefinitionError(
      `Saga "${def.name}": ${role} has a confirmation but no compensation. A TCC step needs both: compensation is its cancel, confirmation its confirm. Add \`compensation: { on: [...], emits: [] }\`.`,
      where,
    );
  }
  if (s.pivot || s.mustSucceed) {
    throw new DefinitionError(
      `Saga "${def.name}": ${role} is a TCC step (it has a confirmation) and is also ${s.pivot ? 'pivot' : 'mustSucceed'}. A try only reserves and can always be cancelled; remove ${s.pivot ? '"pivot"' : '"mustSucceed"'} or the confirmation.`,
      where,
    );
  }
  if (c.on.length === 0) {
    throw new DefinitionError(`Saga "${def.name}": ${role} has a confirmation with an empty "on"; name the events that confirm it (usually the success terminal).`, where);
  }
  c.on.forEach((e) => mustKnow(e, `${role} confirmation "on"`));
  (c.emits ?? []).forEach((e) => mustKnow(e, `${role} confirmation "emits"`));
  const overlap = c.on.filter((e) => s.compensation!.on.includes(e) || e === s.on);
  if (overlap.length > 0) {
    throw new DefinitionError(`Saga "${def.name}": ${role} reacts to ${overlap.map((e) => `"${e}"`).join(', ')} in its confirmation and in its try or cancel; each event may trigger one phase only.`, where);
  }
  if (c.reservationSeconds !== undefined && !(Number.isFinite(c.reservationSeconds) && c.reservationSeconds > 0)) {
    throw new DefinitionError(`Saga "${def.name}": ${role} confirmation.reservationSeconds must be a positive number, got ${JSON.stringify(c.reservationSeconds)}.`, where);
  }
}
