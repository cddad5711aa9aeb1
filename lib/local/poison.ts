import type { AnySagaDefinition } from '../core/definition.js';
import { MAX_DETAIL_BYTES } from '../core/envelope.js';
import type { RejectionReason } from '../core/errors.js';
import { participantNames, producersOf, sourceFor } from '../core/model.js';
import type { SeededRandom } from './random.js';

/**
 * Kinds of malformed message the simulator injects, each with the rejection reason the runtime must
 * record for it. Every kind is derived from a real message the consumer was about to receive, so a
 * poison message names a live saga: if validation let it through, the saga's data would show it.
 */
export const POISON_KINDS = {
  'invalid-json': 'invalid-json',
  'missing-eventbridge-fields': 'not-an-eventbridge-event',
  'missing-envelope-fields': 'invalid-envelope',
  'wrong-payload-types': 'invalid-payload',
  'unknown-event-type': 'unknown-event-type',
  'oversize-detail': 'oversize-event',
  'forged-source': 'forged-source',
  'bad-saga-id': 'invalid-saga-id',
  'unknown-definition': 'unknown-definition',
} as const satisfies Record<string, RejectionReason>;
export type PoisonKind = keyof typeof POISON_KINDS;

export interface PoisonMessage {
  readonly kind: PoisonKind;
  readonly expectedReason: RejectionReason;
  readonly body: string;
}

type Json = Record<string, unknown>;

/** Replaces every field of a payload with a value of another JSON type. */
function wrongTypes(payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload) || Object.keys(payload).length === 0) return 'not-an-object';
  return Object.fromEntries(
    Object.entries(payload as Json).map(([k, v]) => [k, typeof v === 'string' ? 12345 : typeof v === 'number' ? `${v}x` : typeof v === 'boolean' ? 'yes' : 7]),
  );
}

/**
 * Builds one poison message of `kind` from `sample`, the body of a valid EventBridge event that was
 * delivered to the same queue. Returns undefined when the sample is not usable (not our envelope).
 */
export function makePoison(def: AnySagaDefinition, kind: PoisonKind, sample: string, random: SeededRandom): PoisonMessage | undefined {
  let event: Json;
  try {
    event = JSON.parse(sample) as Json;
  } catch {
    return undefined;
  }
  const detail = event.detail as Json | undefined;
  if (typeof detail !== 'object' || detail === null || typeof detail.type !== 'string') return undefined;
  const fresh: Json = { ...detail, eventId: random.uuid() };
  const withDetail = (d: Json, extra: Json = {}) => JSON.stringify({ ...event, id: random.uuid(), ...extra, detail: d });
  const type = detail.type;
  let body: string;
  switch (kind) {
    case 'invalid-json': {
      const whole = withDetail(fresh);
      body = whole.slice(0, Math.max(1, Math.floor(whole.length / 2)));
      break;
    }
    case 'missing-eventbridge-fields': {
      const { source: _s, 'detail-type': _t, ...rest } = event;
      body = JSON.stringify({ ...rest, id: random.uuid(), detail: fresh });
      break;
    }
    case 'missing-envelope-fields': {
      const { eventId: _e, occurredAt: _o, ...rest } = fresh;
      body = withDetail(rest);
      break;
    }
    case 'wrong-payload-types':
      body = withDetail({ ...fresh, payload: wrongTypes(detail.payload) });
      break;
    case 'unknown-event-type':
      body = withDetail({ ...fresh, type: 'RefundIssued' }, { 'detail-type': 'RefundIssued' });
      break;
    case 'oversize-detail':
      body = withDetail({ ...fresh, payload: { ...(detail.payload as Json), padding: 'x'.repeat(MAX_DETAIL_BYTES + 1024) } });
      break;
    case 'forged-source': {
      // A participant that may not emit this event claims it, with a matching source.
      const allowed = producersOf(def, type);
      const forger = participantNames(def).find((p) => !allowed.includes(p)) ?? 'mallory';
      body = withDetail({ ...fresh, producer: forger }, { source: sourceFor(def, forger) });
      break;
    }
    case 'bad-saga-id':
      body = withDetail({ ...fresh, sagaId: `../${String(detail.sagaId)} OR 1=1` });
      break;
    case 'unknown-definition':
      body = withDetail({ ...fresh, definition: `${def.name}-shadow` });
      break;
  }
  return { kind, expectedReason: POISON_KINDS[kind], body };
}
