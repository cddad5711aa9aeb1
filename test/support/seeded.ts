import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * Seeded operation sequences for differential testing of a DynamoDB implementation against
 * another (our engine vs moto): the same seed gives the same operations, so a mismatch is
 * replayed with `DIFF_SEED=<seed>`. Kept apart from lib/ on purpose: the test's randomness does
 * not share code with the system under test.
 */

/** mulberry32: a tiny 32-bit seeded PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** One DynamoDB call: the operation name and its input (low-level AttributeValue form). */
export interface GeneratedOperation {
  readonly operation: 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'GetItem' | 'Query' | 'Scan' | 'TransactWriteItems';
  readonly input: Record<string, unknown>;
}

/**
 * The table the sequences run on: `pk` (S) + `sk` (S), and a GSI `byG` on `g` (S) + `n` (N) with
 * ALL projection — sparse, since `g` and `n` come and go.
 */
export function differentialTableInput(TableName: string) {
  return {
    TableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' as const },
      { AttributeName: 'sk', AttributeType: 'S' as const },
      { AttributeName: 'g', AttributeType: 'S' as const },
      { AttributeName: 'n', AttributeType: 'N' as const },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' as const },
      { AttributeName: 'sk', KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'byG',
        KeySchema: [
          { AttributeName: 'g', KeyType: 'HASH' as const },
          { AttributeName: 'n', KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      },
    ],
  };
}

const PKS = ['p0', 'p1', 'p2'];
const SKS = ['s0', 's1', 's2', 's3'];
const GS = ['g0', 'g1'];
const TAGS = ['a', 'b', 'c', 'd'];

/** Builds an expression's placeholders so that every value given is used (DynamoDB rejects unused ones). */
class Placeholders {
  private readonly values: Record<string, AttributeValue> = {};
  private count = 0;
  value(v: AttributeValue): string {
    const name = `:v${this.count++}`;
    this.values[name] = v;
    return name;
  }
  attach(input: Record<string, unknown>): Record<string, unknown> {
    return Object.keys(this.values).length ? { ...input, ExpressionAttributeValues: this.values } : input;
  }
}

const N = (n: number): AttributeValue => ({ N: String(n) });
const S = (s: string): AttributeValue => ({ S: s });

function key(rng: Rng): Record<string, AttributeValue> {
  return { pk: S(rng.pick(PKS)), sk: S(rng.pick(SKS)) };
}

function tags(rng: Rng): AttributeValue {
  const chosen = TAGS.filter(() => rng.chance(0.4));
  return { SS: chosen.length ? chosen : [rng.pick(TAGS)] };
}

function item(rng: Rng, k: Record<string, AttributeValue>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = { ...k };
  if (rng.chance(0.8)) out.n = N(rng.int(10));
  if (rng.chance(0.6)) out.g = S(rng.pick(GS));
  if (rng.chance(0.5)) out.s = S(rng.pick(['x', 'y', '']));
  if (rng.chance(0.3)) out.tags = tags(rng);
  if (rng.chance(0.2)) out.m = { M: { k: N(rng.int(3)), l: { L: [S('e'), N(rng.int(3))] } } };
  return out;
}

function condition(rng: Rng, ph: Placeholders): string | undefined {
  switch (rng.int(9)) {
    case 0:
      return 'attribute_not_exists(pk)';
    case 1:
      return 'attribute_exists(pk)';
    case 2:
      return `n < ${ph.value(N(rng.int(10)))}`;
    case 3:
      return `g = ${ph.value(S(rng.pick(GS)))}`;
    case 4:
      // Lower bound ≥ 1: moto evaluates `0 BETWEEN a AND b` as false (DIVERGENCES.md).
      return `attribute_exists(n) AND n BETWEEN ${ph.value(N(1 + rng.int(3)))} AND ${ph.value(N(4 + rng.int(6)))}`;
    case 5:
      return `contains(tags, ${ph.value(S(rng.pick(TAGS)))}) OR attribute_not_exists(g)`;
    case 6:
      return `NOT begins_with(s, ${ph.value(S('x'))})`;
    case 7:
      // Guarded: moto's server crashes on size() of a missing attribute (DIVERGENCES.md).
      return `attribute_exists(tags) AND size(tags) >= ${ph.value(N(2))}`;
    default:
      return undefined;
  }
}

function withCondition(rng: Rng, ph: Placeholders, input: Record<string, unknown>, p = 0.6): Record<string, unknown> {
  if (!rng.chance(p)) return input;
  const c = condition(rng, ph);
  return c ? { ...input, ConditionExpression: c } : input;
}

/**
 * `inTransaction`: no `n = n + :v` (it fails on an item without `n`, which DynamoDB reports as a
 * TransactionCanceledException with a ValidationError reason and moto as a plain ValidationException).
 */
function updateExpression(rng: Rng, ph: Placeholders, inTransaction = false): string {
  const set: string[] = [];
  const remove: string[] = [];
  const add: string[] = [];
  const del: string[] = [];
  const used = new Set<string>();
  const take = (attr: string): boolean => (used.has(attr) ? false : (used.add(attr), true));
  const clauses = 1 + rng.int(3);
  for (let i = 0; i < clauses; i++) {
    switch (rng.int(9)) {
      case 0:
        if (inTransaction) {
          if (take('n')) add.push(`n ${ph.value(N(1 + rng.int(3)))}`);
        } else if (take('n')) set.push(`n = n + ${ph.value(N(1 + rng.int(3)))}`);
        break;
      case 1:
        if (take('n')) set.push(`n = if_not_exists(n, ${ph.value(N(0))}) - ${ph.value(N(1))}`);
        break;
      case 2:
        if (take('g')) set.push(`g = ${ph.value(S(rng.pick(GS)))}`);
        break;
      case 3:
        if (take('s')) set.push(`s = if_not_exists(s, ${ph.value(S('y'))})`);
        break;
      case 4:
        if (take('n')) add.push(`n ${ph.value(N(rng.int(5) - 2))}`);
        break;
      case 5:
        if (take('tags')) add.push(`tags ${ph.value(tags(rng))}`);
        break;
      case 6:
        if (take('tags')) del.push(`tags ${ph.value(tags(rng))}`);
        break;
      case 7:
        if (take('g')) remove.push('g');
        break;
      default:
        if (take('l')) set.push(`l = list_append(if_not_exists(l, ${ph.value({ L: [] })}), ${ph.value({ L: [N(rng.int(3))] })})`);
    }
  }
  if (!set.length && !remove.length && !add.length && !del.length) set.push(`s = ${ph.value(S('z'))}`);
  return [set.length ? `SET ${set.join(', ')}` : '', remove.length ? `REMOVE ${remove.join(', ')}` : '', add.length ? `ADD ${add.join(', ')}` : '', del.length ? `DELETE ${del.join(', ')}` : '']
    .filter(Boolean)
    .join(' ');
}

function put(rng: Rng, TableName: string): Record<string, unknown> {
  const ph = new Placeholders();
  const input = withCondition(rng, ph, { TableName, Item: item(rng, key(rng)) });
  return ph.attach(input);
}

function update(rng: Rng, TableName: string): Record<string, unknown> {
  const ph = new Placeholders();
  const input = withCondition(rng, ph, { TableName, Key: key(rng), UpdateExpression: updateExpression(rng, ph) });
  return ph.attach(input);
}

function remove(rng: Rng, TableName: string): Record<string, unknown> {
  const ph = new Placeholders();
  return ph.attach(withCondition(rng, ph, { TableName, Key: key(rng) }, 0.5));
}

/** A seeded sequence of `count` operations on `TableName` (created with {@link differentialTableInput}). */
export function generateOperations(seed: number, count: number, TableName: string): GeneratedOperation[] {
  const rng = new Rng(seed);
  const ops: GeneratedOperation[] = [];
  for (let i = 0; i < count; i++) {
    const roll = rng.int(100);
    if (roll < 22) {
      const input = put(rng, TableName);
      ops.push({ operation: 'PutItem', input: rng.chance(0.3) ? { ...input, ReturnValues: 'ALL_OLD' } : input });
    } else if (roll < 47) {
      const input = update(rng, TableName);
      ops.push({ operation: 'UpdateItem', input: { ...input, ReturnValues: rng.pick(['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW']) } });
    } else if (roll < 57) {
      const input = remove(rng, TableName);
      ops.push({ operation: 'DeleteItem', input: rng.chance(0.4) ? { ...input, ReturnValues: 'ALL_OLD' } : input });
    } else if (roll < 67) {
      ops.push({ operation: 'GetItem', input: { TableName, Key: key(rng), ConsistentRead: true, ...(rng.chance(0.3) ? { ProjectionExpression: 'pk, n, tags, m.l[1]' } : {}) } });
    } else if (roll < 79) {
      const ph = new Placeholders();
      let kce = `pk = ${ph.value(S(rng.pick(PKS)))}`;
      const sortRoll = rng.int(4);
      if (sortRoll === 0) kce += ` AND sk > ${ph.value(S(rng.pick(SKS)))}`;
      if (sortRoll === 1) kce += ` AND sk BETWEEN ${ph.value(S('s1'))} AND ${ph.value(S('s2'))}`;
      if (sortRoll === 2) kce += ` AND begins_with(sk, ${ph.value(S('s'))})`;
      const input: Record<string, unknown> = { TableName, KeyConditionExpression: kce, ScanIndexForward: rng.chance(0.5), ConsistentRead: true };
      if (rng.chance(0.4)) input.FilterExpression = `n >= ${ph.value(N(rng.int(8)))}`;
      if (rng.chance(0.4)) input.Limit = 1 + rng.int(3);
      if (rng.chance(0.15)) input.Select = 'COUNT';
      ops.push({ operation: 'Query', input: ph.attach(input) });
    } else if (roll < 84) {
      const ph = new Placeholders();
      const input: Record<string, unknown> = { TableName, IndexName: 'byG', KeyConditionExpression: `g = ${ph.value(S(rng.pick(GS)))}` };
      if (rng.chance(0.5)) input.KeyConditionExpression += ` AND n > ${ph.value(N(rng.int(6)))}`;
      ops.push({ operation: 'Query', input: ph.attach(input) });
    } else if (roll < 87) {
      ops.push({ operation: 'Scan', input: { TableName, ConsistentRead: true } });
    } else {
      ops.push({ operation: 'TransactWriteItems', input: transaction(rng, TableName) });
    }
  }
  return ops;
}

function transaction(rng: Rng, TableName: string): Record<string, unknown> {
  const size = 2 + rng.int(3);
  const keys: Record<string, AttributeValue>[] = [];
  const seen = new Set<string>();
  while (keys.length < size) {
    const k = key(rng);
    const id = `${k.pk!.S}/${k.sk!.S}`;
    if (!seen.has(id)) {
      seen.add(id);
      keys.push(k);
    }
  }
  const TransactItems = keys.map((k) => {
    const ph = new Placeholders();
    const failure = rng.chance(0.5) ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } : {};
    switch (rng.int(4)) {
      case 0:
        return { Put: { ...ph.attach(withCondition(rng, ph, { TableName, Item: item(rng, k) }, 0.5)), ...failure } };
      case 1:
        return { Update: { ...ph.attach(withCondition(rng, ph, { TableName, Key: k, UpdateExpression: updateExpression(rng, ph, true) }, 0.5)), ...failure } };
      case 2:
        return { Delete: { ...ph.attach(withCondition(rng, ph, { TableName, Key: k }, 0.5)), ...failure } };
      default: {
        const c = condition(rng, ph) ?? 'attribute_exists(pk)';
        return { ConditionCheck: { ...ph.attach({ TableName, Key: k, ConditionExpression: c }), ...failure } };
      }
    }
  });
  return { TransactItems };
}

/**
 * A response in comparable form: no `$metadata` / ConsumedCapacity / ItemCollectionMetrics, set
 * elements sorted, binary as arrays; an error as its name (and message unless `dropMessage`) plus
 * its CancellationReasons codes and items.
 */
export function normalise(outcome: { ok: true; output: unknown } | { ok: false; error: unknown }, options: { dropMessage?: (name: string, message: string) => boolean } = {}): unknown {
  if (outcome.ok) {
    const { $metadata: _m, ConsumedCapacity: _c, ItemCollectionMetrics: _i, ...rest } = outcome.output as Record<string, unknown>;
    return canonical(rest);
  }
  const error = outcome.error as { name?: string; message?: string; CancellationReasons?: { Code?: string; Item?: unknown }[]; Item?: unknown };
  const name = error.name ?? 'Error';
  const message = error.message ?? '';
  return canonical({
    error: name,
    ...(options.dropMessage?.(name, message) ? {} : { message }),
    ...(error.CancellationReasons ? { CancellationReasons: error.CancellationReasons.map((r) => ({ Code: r.Code, ...(r.Item ? { Item: r.Item } : {}) })) } : {}),
    ...(error.Item ? { Item: error.Item } : {}),
  });
}

function canonical(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: [...value] };
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (v === undefined) continue;
      if ((k === 'SS' || k === 'NS') && Array.isArray(v)) out[k] = [...(v as string[])].sort();
      else if (k === 'BS' && Array.isArray(v)) out[k] = (v as Uint8Array[]).map((b) => [...b].join(',')).sort();
      else out[k] = canonical(v);
    }
    return out;
  }
  return value;
}
