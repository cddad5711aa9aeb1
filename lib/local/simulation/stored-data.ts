import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ITEM_KIND, KEY, producerOfOutboxKey } from '../../core/keys.js';
import type { BarrierState } from '../../runtime/participant/index.js';

/** A participant's step record (its barrier), as stored. */
export interface StoredStep {
  readonly participant: string;
  readonly step: string;
  readonly sagaId: string;
  /** A {@link BarrierState}, or `confirmed` for a confirmed TCC try. */
  readonly state: BarrierState | 'confirmed';
  readonly forwardEventId?: string;
  readonly forwardAt?: string;
  readonly compensateEventId?: string;
  readonly compensatedAt?: string;
  /** TCC steps: the confirm. */
  readonly confirmEventId?: string;
  readonly confirmedAt?: string;
  readonly reason?: string;
  readonly data?: Readonly<Record<string, unknown>>;
  readonly emitted?: readonly string[];
  readonly compensationEmitted?: readonly string[];
  readonly confirmationEmitted?: readonly string[];
}

/** An outbox row, as stored (detail parsed to the envelope's event id and type). */
export interface StoredOutboxRow {
  readonly producer: string;
  readonly pk: string;
  readonly sk: string;
  readonly sagaId: string;
  /** The row's own `eventId` attribute. */
  readonly eventId: string;
  /** `eventId` inside the envelope (`detail`) — what consumers and the bus see. */
  readonly envelopeEventId: string | undefined;
  readonly type: string;
  readonly republishOf?: string;
  /** `definitionVersion` inside the envelope: the version of the saga it belongs to. */
  readonly definitionVersion?: number;
}

export interface StoredRejection {
  readonly consumer: string;
  readonly messageId: string;
  readonly reason: string;
  readonly body: string;
  readonly bodyTruncated: boolean;
  readonly bodyLength?: number;
  readonly sagaId?: string;
}

/** The saga record fields the checks read. */
export interface StoredSaga {
  readonly sagaId: string;
  readonly status: string;
  readonly terminalEvent?: string;
  readonly flaggedReason?: string;
  readonly definitionVersion?: number;
  readonly timeline: readonly { readonly eventId: string; readonly type: string; readonly producer: string }[];
}

/**
 * Everything in the saga table, sorted into what the invariant checks read. Built from one
 * consistent scan after the run, so the checks judge the data the system left, not counters kept
 * by the simulator.
 */
export interface StoredData {
  readonly sagas: Map<string, StoredSaga>;
  /** Step records by saga id (the initiator's start barrier included). */
  readonly steps: Map<string, StoredStep[]>;
  readonly outbox: StoredOutboxRow[];
  readonly rejections: StoredRejection[];
  /** Every other item (business items, failure records, reconciler reports) by partition key. */
  readonly items: Map<string, Record<string, unknown>[]>;
  readonly itemCount: number;
}

const STEP_PK = /^([a-z][a-z0-9-]*)#saga#(.+)$/;

/**
 * Reads the whole table with a consistent, parallel scan and sorts the items. Each page is
 * reduced to what the checks read as it arrives, so the checker never holds a second copy of
 * the whole table (the engine, in this process, holds the first): a 10,000-saga soak keeps
 * ≈ 130,000 items.
 */
export async function readStoredData(client: DynamoDBDocumentClient, tableName: string, segments = 4): Promise<StoredData> {
  const data: StoredData = { sagas: new Map(), steps: new Map(), outbox: [], rejections: [], items: new Map(), itemCount: 0 };
  const entries: Entry[] = [];
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let startKey: Record<string, unknown> | undefined;
      do {
        const out = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, Segment: segment, TotalSegments: segments, ExclusiveStartKey: startKey }));
        for (const item of out.Items ?? []) entries.push(classify(item));
        startKey = out.LastEvaluatedKey;
      } while (startKey);
    }),
  );
  // Sorted by key so the order of everything derived from the scan does not depend on segments.
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const entry of entries) add(data, entry);
  (data as { itemCount: number }).itemCount = entries.length;
  return data;
}

/** One item, reduced to what the checks read, with its table key (`pk` NUL `sk`). */
type Entry = { readonly key: string } & (
  | { readonly kind: 'saga'; readonly saga: StoredSaga }
  | { readonly kind: 'outbox'; readonly row: StoredOutboxRow }
  | { readonly kind: 'rejection'; readonly rejection: StoredRejection }
  | { readonly kind: 'step'; readonly step: StoredStep }
  | { readonly kind: 'item'; readonly pk: string; readonly item: Record<string, unknown> }
);

function add(data: StoredData, entry: Entry): void {
  if (entry.kind === 'saga') data.sagas.set(entry.saga.sagaId, entry.saga);
  else if (entry.kind === 'outbox') data.outbox.push(entry.row);
  else if (entry.kind === 'rejection') data.rejections.push(entry.rejection);
  else if (entry.kind === 'step') {
    const list = data.steps.get(entry.step.sagaId) ?? [];
    list.push(entry.step);
    data.steps.set(entry.step.sagaId, list);
  } else {
    const list = data.items.get(entry.pk) ?? [];
    list.push(entry.item);
    data.items.set(entry.pk, list);
  }
}

function classify(item: Record<string, unknown>): Entry {
  const pk = String(item[KEY.partition]);
  const key = `${pk}\u0000${String(item[KEY.sort])}`;
  const kind = item[KEY.kind];
  if (kind === ITEM_KIND.saga) {
    const saga: StoredSaga = {
      sagaId: String(item.sagaId),
      status: String(item.status),
      ...(typeof item.terminalEvent === 'string' ? { terminalEvent: item.terminalEvent } : {}),
      ...(typeof item.flaggedReason === 'string' ? { flaggedReason: item.flaggedReason } : {}),
      ...(typeof item.definitionVersion === 'number' ? { definitionVersion: item.definitionVersion } : {}),
      timeline: ((item.timeline as { eventId: string; type: string; producer: string }[] | undefined) ?? []).map((t) => ({ eventId: t.eventId, type: t.type, producer: t.producer })),
    };
    return { key, kind: 'saga', saga };
  }
  if (kind === ITEM_KIND.outbox) {
    let envelopeEventId: string | undefined;
    let definitionVersion: number | undefined;
    try {
      const parsed = JSON.parse(String(item.detail)) as { eventId?: unknown; definitionVersion?: unknown };
      envelopeEventId = typeof parsed.eventId === 'string' ? parsed.eventId : undefined;
      definitionVersion = typeof parsed.definitionVersion === 'number' ? parsed.definitionVersion : undefined;
    } catch {
      envelopeEventId = undefined;
    }
    const row: StoredOutboxRow = {
      producer: producerOfOutboxKey(pk) ?? '?',
      pk,
      sk: String(item[KEY.sort]),
      sagaId: String(item.sagaId),
      eventId: String(item.eventId),
      envelopeEventId,
      type: String(item.type),
      ...(typeof item.republishOf === 'string' ? { republishOf: item.republishOf } : {}),
      ...(definitionVersion !== undefined ? { definitionVersion } : {}),
    };
    return { key, kind: 'outbox', row };
  }
  if (kind === ITEM_KIND.rejection) {
    const rejection: StoredRejection = {
      consumer: String(item.consumer),
      messageId: String(item.messageId),
      reason: String(item.reason),
      body: String(item.body ?? ''),
      bodyTruncated: item.bodyTruncated === true,
      ...(typeof item.bodyLength === 'number' ? { bodyLength: item.bodyLength } : {}),
      ...(typeof item.sagaId === 'string' ? { sagaId: item.sagaId } : {}),
    };
    return { key, kind: 'rejection', rejection };
  }
  const step = STEP_PK.exec(pk);
  if (kind === ITEM_KIND.step && step) {
    const stored: StoredStep = {
      ...(item as unknown as StoredStep),
      participant: String(item.participant ?? step[1]),
      step: String(item.step ?? String(item[KEY.sort]).replace(/^step#/, '')),
      sagaId: String(item.sagaId ?? step[2]),
    };
    return { key, kind: 'step', step: stored };
  }
  return { key, kind: 'item', pk, item };
}
