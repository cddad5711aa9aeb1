import { DynamoDbError, validation } from './errors.js';
import type { AttributeValue, Item, KeySchema } from './types.js';
import { valuesEqual, itemSize } from './values.js';
import type { ChangeOrigin } from './table.js';

export type StreamViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';

export interface StreamRecord {
  readonly sequence: bigint;
  readonly eventID: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly at: number;
  readonly keys: Item;
  readonly oldImage: Item | undefined;
  readonly newImage: Item | undefined;
  readonly origin: ChangeOrigin;
}

/** Iterators live 15 minutes, as in DynamoDB Streams. */
const ITERATOR_TTL_MS = 15 * 60_000;

/**
 * A table's stream: one shard that never closes (DynamoDB rolls shards every few hours; a single
 * open shard keeps the same contract for a reader that follows children). Records are kept up to
 * `retention` (a count, standing in for the 24-hour window); an iterator positioned before the
 * oldest kept record gets TrimmedDataAccessException, as a reader that fell 24 h behind does.
 */
export class StreamLog {
  /** Kept records, oldest first; the first `dead` of them are already trimmed (see `append`). */
  private readonly records: StreamRecord[] = [];
  readonly shardId: string;
  private nextSequence: bigint;
  private trimmedBefore: bigint;
  private eventCounter = 0;
  /** Trimmed records still at the front of `records`, removed in chunks. */
  private dead = 0;
  /** Records ever appended (trimmed ones included). */
  appended = 0;
  /** False once UpdateTable switched the stream off: readers still read what it holds, nothing new is written. */
  enabled = true;

  constructor(
    readonly arn: string,
    readonly label: string,
    readonly viewType: StreamViewType,
    readonly tableName: string,
    readonly keySchema: KeySchema,
    readonly createdAt: Date,
    private readonly retention: number,
    private readonly region: string,
  ) {
    // Sequence numbers are decimal strings of 21+ digits that only grow, like the service's.
    this.nextSequence = 100_000_000_000_000_000_000n + BigInt(createdAt.getTime()) * 1_000_000n;
    this.trimmedBefore = this.nextSequence;
    this.shardId = `shardId-${String(createdAt.getTime()).padStart(20, '0')}-${label.replace(/\D/g, '').slice(-8).padStart(8, '0')}`;
  }

  /** Appends the change record; a write that changes nothing leaves no record, as in DynamoDB. */
  append(previous: Item | undefined, next: Item | undefined, keys: Item, at: number, origin: ChangeOrigin): void {
    if (!this.enabled || (previous && next && itemsEqual(previous, next))) return;
    const eventName = !previous ? 'INSERT' : !next ? 'REMOVE' : 'MODIFY';
    // Only the images the view type returns are kept: a NEW_IMAGE stream holding every old
    // version too kept ≈ twice the item versions alive for its whole retention.
    const oldImage = this.viewType === 'OLD_IMAGE' || this.viewType === 'NEW_AND_OLD_IMAGES' ? previous : undefined;
    const newImage = this.viewType === 'NEW_IMAGE' || this.viewType === 'NEW_AND_OLD_IMAGES' ? next : undefined;
    this.records.push({ sequence: this.nextSequence, eventID: this.eventId(), eventName, at, keys, oldImage, newImage, origin });
    this.nextSequence += 1n;
    this.appended++;
    // Trimming is logical at once (the trim horizon moves with every record past the retention) and
    // physical in chunks: splicing one record off a 100,000-record array per write was quadratic.
    const live = this.records.length - this.dead;
    if (live > this.retention) {
      this.dead += live - this.retention;
      this.trimmedBefore = this.records[this.dead]!.sequence;
      if (this.dead >= Math.max(1024, this.retention >> 2)) {
        this.records.splice(0, this.dead);
        this.dead = 0;
      }
    }
  }

  private eventId(): string {
    this.eventCounter++;
    return `${this.label.replace(/[^0-9a-f]/gi, '').slice(0, 8).padEnd(8, '0')}${this.eventCounter.toString(16).padStart(24, '0')}`.toLowerCase();
  }

  get startingSequenceNumber(): string {
    return this.trimmedBefore.toString();
  }

  /** GetShardIterator: an opaque iterator naming the next sequence number to read. */
  iterator(input: { ShardId?: unknown; ShardIteratorType?: unknown; SequenceNumber?: unknown }, now: number): string {
    if (input.ShardId !== this.shardId) {
      throw new DynamoDbError('ResourceNotFoundException', `Requested resource not found: Shard: ${String(input.ShardId)} in Stream: ${this.arn} not found`);
    }
    const type = input.ShardIteratorType;
    let position: bigint;
    if (type === 'TRIM_HORIZON') position = this.trimmedBefore;
    else if (type === 'LATEST') position = this.nextSequence;
    else if (type === 'AT_SEQUENCE_NUMBER' || type === 'AFTER_SEQUENCE_NUMBER') {
      if (typeof input.SequenceNumber !== 'string' || !/^\d{21,40}$/.test(input.SequenceNumber)) {
        throw validation(`Invalid SequenceNumber: ${String(input.SequenceNumber)}; a sequence number for ${type} must be a string of 21 to 40 digits.`);
      }
      const sequence = BigInt(input.SequenceNumber);
      if (sequence < this.trimmedBefore) {
        throw new DynamoDbError('TrimmedDataAccessException', `The operation attempted to read past the oldest stream record in a shard. Sequence number ${input.SequenceNumber} is older than the trim horizon.`);
      }
      if (sequence >= this.nextSequence) throw validation(`Invalid SequenceNumber: ${input.SequenceNumber} is beyond the last record of shard ${this.shardId}.`);
      position = type === 'AT_SEQUENCE_NUMBER' ? sequence : sequence + 1n;
    } else {
      throw validation(
        `1 validation error detected: Value '${String(type)}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]`,
      );
    }
    return encodeIterator({ arn: this.arn, shard: this.shardId, position, issuedAt: now });
  }

  /** GetRecords from an iterator: up to `limit` records and the iterator that continues after them. */
  read(iterator: DecodedIterator, limit: number, now: number): { records: StreamRecord[]; next: string } {
    if (now - iterator.issuedAt > ITERATOR_TTL_MS) {
      throw new DynamoDbError('ExpiredIteratorException', 'Iterator expired. The iterator was created more than 15 minutes ago.');
    }
    if (iterator.position < this.trimmedBefore) {
      throw new DynamoDbError('TrimmedDataAccessException', 'The operation attempted to read past the oldest stream record in a shard.');
    }
    const first = this.records.length === 0 ? 0 : Math.max(this.dead, Number(iterator.position - this.records[0]!.sequence));
    const records = this.records.slice(first, first + limit);
    const position = records.length ? records[records.length - 1]!.sequence + 1n : iterator.position;
    return { records, next: encodeIterator({ arn: this.arn, shard: this.shardId, position, issuedAt: now }) };
  }

  /** The record as GetRecords returns it, images chosen by the view type. */
  toOutput(record: StreamRecord, copy: (item: Item) => Item): Record<string, unknown> {
    const view = this.viewType;
    const dynamodb: Record<string, unknown> = {
      ApproximateCreationDateTime: new Date(Math.floor(record.at / 1000) * 1000),
      Keys: copy(record.keys),
      SequenceNumber: record.sequence.toString(),
      SizeBytes: recordSize(record, view),
      StreamViewType: view,
    };
    if (record.newImage && (view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES')) dynamodb.NewImage = copy(record.newImage);
    if (record.oldImage && (view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES')) dynamodb.OldImage = copy(record.oldImage);
    const out: Record<string, unknown> = {
      eventID: record.eventID,
      eventName: record.eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.region,
      dynamodb,
    };
    if (record.origin === 'ttl') out.userIdentity = { PrincipalId: 'dynamodb.amazonaws.com', Type: 'Service' };
    return out;
  }
}

function recordSize(record: StreamRecord, view: StreamViewType): number {
  let size = itemSize(record.keys);
  if (record.newImage && (view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES')) size += itemSize(record.newImage);
  if (record.oldImage && (view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES')) size += itemSize(record.oldImage);
  return size;
}

function itemsEqual(a: Item, b: Item): boolean {
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  return names.every((name) => b[name] !== undefined && valuesEqual(a[name] as AttributeValue, b[name] as AttributeValue));
}

export interface DecodedIterator {
  readonly arn: string;
  readonly shard: string;
  readonly position: bigint;
  readonly issuedAt: number;
}

function encodeIterator(it: DecodedIterator): string {
  return Buffer.from(JSON.stringify([it.arn, it.shard, it.position.toString(), it.issuedAt])).toString('base64url');
}

export function decodeIterator(text: unknown): DecodedIterator {
  try {
    if (typeof text !== 'string') throw new Error('not a string');
    const [arn, shard, position, issuedAt] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [string, string, string, number];
    if (typeof arn !== 'string' || typeof shard !== 'string' || typeof issuedAt !== 'number') throw new Error('bad shape');
    return { arn, shard, position: BigInt(position), issuedAt };
  } catch {
    throw validation(`Invalid ShardIterator: ${String(text).slice(0, 100)}`);
  }
}
