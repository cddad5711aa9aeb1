import type { AnySagaDefinition, EventSchema } from '../../core/definition.js';
import { frameworkEventSchema, MAX_DETAIL_BYTES, type Envelope } from '../../core/envelope.js';
import { ITEM_KIND, KEY, outboxKey } from '../../core/keys.js';
import { emittableBy } from '../../core/model.js';
import { currentTraceHeader } from './logging.js';
import { StepContractError } from './errors.js';

/** An event staged by a step; committed to the outbox in the step's transaction. */
export interface Emission<E extends string = string> {
  readonly type: E;
  readonly payload: unknown;
}

export const DAY_SECONDS = 86_400;
/** Outbox rows are kept a week: long past the relay's retries and the reconciler's repair window. */
export const OUTBOX_TTL_DAYS = 7;

export interface OutboxRowInput {
  readonly def: AnySagaDefinition;
  readonly producer: string;
  readonly sagaId: string;
  readonly emission: Emission;
  readonly eventId: string;
  readonly causationId?: string;
  readonly now: number;
  /** X-Ray trace header the event travels with. @default the trace of what is being handled (lib/runtime/shared/logging.ts: currentTraceHeader) */
  readonly traceHeader?: string;
  /**
   * The version the saga is pinned to (the version of the event that caused this one, or of the
   * saga record). @default `def.version` (a start: a new saga runs on the newest version)
   */
  readonly definitionVersion?: number;
}

/** An outbox row as stored: the relay publishes `detail` with source/detail-type derived from its key. */
export interface OutboxRow {
  readonly pk: string;
  readonly sk: string;
  readonly kind: typeof ITEM_KIND.outbox;
  readonly eventId: string;
  readonly sagaId: string;
  readonly type: string;
  readonly detail: string;
  readonly createdAt: string;
  readonly expiresAt: number;
  readonly republishOf?: string;
  /** X-Ray trace header the relay hands to PutEvents (`TraceHeader`), so the next step joins the saga's trace. */
  readonly traceHeader?: string;
}

/**
 * Builds the outbox row for one emitted event, checking that the producer may emit it, that the
 * payload matches the event schema and that the event fits the size limit — so a bad event fails
 * the step that made it, not a consumer later.
 */
export async function buildOutboxRow(input: OutboxRowInput): Promise<OutboxRow> {
  const { def, producer, sagaId, emission, eventId, now } = input;
  const allowed = emittableBy(def, producer);
  if (!allowed.includes(emission.type)) {
    throw new StepContractError(`"${producer}" emitted ${JSON.stringify(emission.type)}, which saga "${def.name}" does not let it emit. Allowed: ${allowed.join(', ') || '(none)'}.`, {
      producer,
      type: emission.type,
    });
  }
  const schema: EventSchema = frameworkEventSchema(emission.type) ?? (def.events as Record<string, EventSchema>)[emission.type]!;
  const checked = await schema['~standard'].validate(emission.payload);
  if (checked.issues) {
    throw new StepContractError(
      `"${producer}" emitted ${emission.type} with a payload that does not match its schema: ${checked.issues.map((i) => i.message).join('; ')}. Payload: ${JSON.stringify(emission.payload).slice(0, 200)}`,
      { producer, type: emission.type },
    );
  }
  const envelope: Envelope = {
    eventId,
    sagaId,
    definition: def.name,
    definitionVersion: input.definitionVersion ?? def.version,
    type: emission.type,
    producer,
    ...(input.causationId ? { causationId: input.causationId } : {}),
    occurredAt: new Date(now).toISOString(),
    payload: checked.value,
  };
  const detail = JSON.stringify(envelope);
  const bytes = Buffer.byteLength(detail, 'utf8');
  if (bytes > MAX_DETAIL_BYTES) {
    throw new StepContractError(`Event ${emission.type} is ${bytes} bytes; the limit is ${MAX_DETAIL_BYTES}. Store large data yourself and emit a reference.`, { producer, type: emission.type, bytes });
  }
  const traceHeader = input.traceHeader ?? currentTraceHeader();
  return {
    ...outboxKey(producer, sagaId, eventId),
    ...(traceHeader ? { traceHeader } : {}),
    [KEY.kind]: ITEM_KIND.outbox,
    eventId,
    sagaId,
    type: emission.type,
    detail,
    createdAt: envelope.occurredAt,
    [KEY.ttl]: Math.floor(now / 1000) + OUTBOX_TTL_DAYS * DAY_SECONDS,
  } as OutboxRow;
}

/** The transaction entry that inserts an outbox row (never overwrites: ids are unique). */
export function outboxPut(tableName: string, row: OutboxRow) {
  return { Put: { TableName: tableName, Item: row as unknown as Record<string, unknown>, ConditionExpression: 'attribute_not_exists(pk)' } };
}
