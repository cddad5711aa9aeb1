import { RESERVATION_EXPIRED_EVENT, reservationExpiredPayloadSchema, TIMEOUT_EVENT, timeoutPayloadSchema, type AnySagaDefinition, type EventSchema } from './definition.js';
import { EnvelopeError } from './errors.js';
import { producersOf, sourceFor } from './model.js';
import { array, datetime, int, object, optional, schema, string, unknown, type FrameworkSchema, type Out } from './schema.js';
import { describeIssues } from './schema-issues.js';
import { servedVersions } from './versions.js';

/** Saga ids: 8–64 characters of letters, digits, '_' and '-', starting with a letter or digit. */
export const SAGA_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$/;

/**
 * Largest `detail` we accept, in UTF-8 bytes. Kept well under the 400 KB DynamoDB item limit (the
 * outbox row carries it) and the SQS message limit, so an event that was stored can always travel.
 */
export const MAX_DETAIL_BYTES = 200 * 1024;

const envelope = object({
  eventId: string(8, 64),
  sagaId: string(),
  definition: string(),
  definitionVersion: int(true),
  type: string(),
  producer: string(),
  causationId: optional(string()),
  occurredAt: datetime,
  payload: unknown,
});
/** Our envelope: the EventBridge `detail` of every saga event. Consumers dedupe on `eventId`. */
export type Envelope = Out<typeof envelope>;
/**
 * Schema of {@link Envelope}: a Standard Schema V1 whose `validate` is synchronous.
 *
 * @example
 * ```ts
 * const result = envelopeSchema['~standard'].validate(JSON.parse(body).detail);
 * if (result.issues) console.log(describeIssues(result.issues)); // "occurredAt: not a valid datetime"
 * else console.log(result.value.sagaId);
 * ```
 */
export const envelopeSchema: FrameworkSchema<Envelope> = schema(envelope);

const eventBridgeEvent = object({
  version: string(),
  id: string(),
  'detail-type': string(),
  source: string(),
  account: string(),
  time: string(),
  region: string(),
  resources: array(string()),
  detail: unknown,
});
/** An EventBridge event as delivered to an SQS target (the message body). */
export type EventBridgeEvent = Out<typeof eventBridgeEvent>;
/** Schema of {@link EventBridgeEvent}. */
export const eventBridgeEventSchema: FrameworkSchema<EventBridgeEvent> = schema(eventBridgeEvent);

/** A fully validated incoming event. */
export interface ValidatedEvent {
  readonly event: EventBridgeEvent;
  readonly envelope: Envelope;
  readonly payload: unknown;
}

/** Parses an SQS message body into an EventBridge event; throws {@link EnvelopeError} with a reason. */
export function parseEventBridgeBody(body: string): EventBridgeEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (cause) {
    throw new EnvelopeError('invalid-json', `Message body is not valid JSON (${(cause as Error).message}); first bytes: ${JSON.stringify(body.slice(0, 80))}.`, {}, { cause });
  }
  const parsed = eventBridgeEventSchema['~standard'].validate(raw);
  if (parsed.issues) {
    throw new EnvelopeError('not-an-eventbridge-event', `Message body is not an EventBridge event: ${describeIssues(parsed.issues, raw)}.`);
  }
  return parsed.value;
}

/**
 * Checks an EventBridge event against a definition: envelope shape, size, saga id, definition name
 * and version, event type, producer vs source (no forged sources), and the payload schema.
 */
export async function validateEvent(def: AnySagaDefinition, event: EventBridgeEvent): Promise<ValidatedEvent> {
  const detailBytes = Buffer.byteLength(JSON.stringify(event.detail ?? null), 'utf8');
  if (detailBytes > MAX_DETAIL_BYTES) {
    throw new EnvelopeError('oversize-event', `Event detail is ${detailBytes} bytes; the limit is ${MAX_DETAIL_BYTES}. Keep large data in your own store and send a reference.`, { bytes: detailBytes });
  }
  const parsed = envelopeSchema['~standard'].validate(event.detail);
  if (parsed.issues) {
    throw new EnvelopeError('invalid-envelope', `Event detail is not a saga envelope: ${describeIssues(parsed.issues, event.detail)}.`, { detailType: event['detail-type'] });
  }
  const envelope = parsed.value;
  const ctx = { eventId: envelope.eventId, sagaId: envelope.sagaId, type: envelope.type };
  if (!SAGA_ID_PATTERN.test(envelope.sagaId)) {
    throw new EnvelopeError('invalid-saga-id', `Saga id ${JSON.stringify(envelope.sagaId.slice(0, 80))} has the wrong shape; expected ${SAGA_ID_PATTERN}.`, ctx);
  }
  if (envelope.definition !== def.name) {
    throw new EnvelopeError('unknown-definition', `Event belongs to saga definition ${JSON.stringify(envelope.definition)}, this handler serves "${def.name}".`, ctx);
  }
  if (envelope.definitionVersion > def.version) {
    throw new EnvelopeError(
      'future-definition-version',
      `Event was produced by definition "${def.name}" version ${envelope.definitionVersion}, newer than this handler's version ${def.version}. It is retried, then kept in the DLQ: deploy the new version of this consumer, then redrive its DLQ.`,
      { ...ctx, definitionVersion: envelope.definitionVersion },
    );
  }
  if (!servedVersions(def).includes(envelope.definitionVersion)) {
    throw new EnvelopeError(
      'unserved-definition-version',
      `Event belongs to a saga started on "${def.name}" version ${envelope.definitionVersion}; this handler runs version ${def.version}, which does not serve version ${envelope.definitionVersion} sagas. ` +
        `It is retried, then kept in the DLQ: keep the version ${envelope.definitionVersion} participants deployed until its sagas drain (previousVersions), or let version ${def.version} take them over (migratesFrom: [${envelope.definitionVersion}]), then redrive the DLQ.`,
      { ...ctx, definitionVersion: envelope.definitionVersion },
    );
  }
  const schema: EventSchema | undefined = frameworkEventSchema(envelope.type) ?? (def.events as Record<string, EventSchema>)[envelope.type];
  if (!schema || envelope.type !== event['detail-type']) {
    throw new EnvelopeError(
      'unknown-event-type',
      `Event type ${JSON.stringify(envelope.type)} (detail-type ${JSON.stringify(event['detail-type'])}) is not an event of saga "${def.name}". Known: ${Object.keys(def.events).join(', ')}, ${TIMEOUT_EVENT}.`,
      ctx,
    );
  }
  const allowed = producersOf(def, envelope.type);
  if (!allowed.includes(envelope.producer) || event.source !== sourceFor(def, envelope.producer)) {
    throw new EnvelopeError(
      'forged-source',
      `Event ${envelope.type} claims producer ${JSON.stringify(envelope.producer)} with source ${JSON.stringify(event.source)}; only ${allowed.map((p) => sourceFor(def, p)).join(', ')} may publish it.`,
      ctx,
    );
  }
  const result = await schema['~standard'].validate(envelope.payload);
  if (result.issues) {
    throw new EnvelopeError('invalid-payload', `Payload of ${envelope.type} does not match its schema: ${describeIssues(result.issues, envelope.payload)}.`, ctx);
  }
  return { event, envelope, payload: result.value };
}

/** Schema of a framework event ({@link TIMEOUT_EVENT}, {@link RESERVATION_EXPIRED_EVENT}); undefined for the definition's own events. */
export function frameworkEventSchema(type: string): EventSchema | undefined {
  if (type === TIMEOUT_EVENT) return timeoutPayloadSchema;
  if (type === RESERVATION_EXPIRED_EVENT) return reservationExpiredPayloadSchema;
  return undefined;
}
