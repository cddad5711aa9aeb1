import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { orderSaga, type OrderSaga } from '../../../functions/order/index.js';
import { referenceParticipants, readStock, seedStock } from '../../../lib/cli/reference-app.js';
import { outboxPartition, sagaKey } from '../../../lib/core/keys.js';
import { LocalCloud, type LocalCloudOptions, type ParticipantImplementations } from '../../../lib/local/cloud.js';
import type { TrackedSaga } from '../../../lib/runtime/reconciler/types.js';

export const SKU = 'sku-espresso';

/**
 * A distinct seed per cloud: every test file shares one DynamoDB Local, and the step runner derives
 * its TransactWriteItems ClientRequestToken from the cloud's seeded ids — two clouds with the same
 * seed would reuse tokens across tables and get IdempotentParameterMismatchException.
 */
let clouds = 0;
const nextSeed = (): number => ((process.pid % 100_000) * 1000 + clouds++) >>> 0;

/** A local cloud on the run's shared DynamoDB Local, stocked with 10 espresso machines. */
export async function orderCloud(
  overrides: Partial<ParticipantImplementations<OrderSaga>> = {},
  options: Partial<LocalCloudOptions<OrderSaga>> = {},
): Promise<LocalCloud<OrderSaga>> {
  const cloud = await LocalCloud.start({
    definition: orderSaga,
    participants: { ...referenceParticipants, ...overrides },
    seed: nextSeed(),
    ...options,
  });
  await seedStock(cloud, { [SKU]: 10 });
  return cloud;
}

export const order = (orderId: string, amountCents = 1_500, quantity = 2) => ({ orderId, customerId: 'c-1', sku: SKU, quantity, amountCents });

export async function stock(cloud: LocalCloud) {
  return readStock(cloud, SKU);
}

export async function saga(cloud: LocalCloud, sagaId: string): Promise<TrackedSaga> {
  const out = await cloud.client.send(new GetCommand({ TableName: cloud.tableName, Key: sagaKey(sagaId), ConsistentRead: true }));
  if (!out.Item) throw new Error(`no saga record ${sagaId}`);
  return out.Item as TrackedSaga;
}

/** Rows of one producer's outbox partition of a saga (originals and republished copies). */
export async function outboxRows(cloud: LocalCloud, producer: string, sagaId: string): Promise<Record<string, unknown>[]> {
  const out = await cloud.client.send(
    new QueryCommand({ TableName: cloud.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': outboxPartition(producer, sagaId) }, ConsistentRead: true }),
  );
  return out.Items ?? [];
}

/** Events of a saga that reached the bus, in order. */
export function published(cloud: LocalCloud, sagaId: string): { type: string; eventId: string }[] {
  return cloud.bus.archive
    .map((e) => e.detail as { sagaId: string; type: string; eventId: string })
    .filter((d) => d.sagaId === sagaId)
    .map((d) => ({ type: d.type, eventId: d.eventId }));
}

/** Asserts that `expected` occurs in `types` in this order (other events may come in between). */
export function inOrder(types: readonly string[], expected: readonly string[]): boolean {
  let i = 0;
  for (const t of types) if (t === expected[i]) i++;
  return i === expected.length;
}

/** Makes a consumer lose (delete unprocessed) every delivery whose detail-type `lose` selects. */
export function loseDeliveries(cloud: LocalCloud, consumer: string, lose: (detailType: string) => boolean): { count: number } {
  const lost = { count: 0 };
  const queue = cloud.consumer(consumer).queue;
  const previous = cloud.beforeInvoke;
  cloud.beforeInvoke = (name, messages) => {
    if (name !== consumer) return previous(name, messages);
    const gone = messages.filter((m) => lose(String((JSON.parse(m.body) as { 'detail-type'?: string })['detail-type'])));
    for (const m of gone) queue.delete(m.receiptHandle!);
    lost.count += gone.length;
    return gone.length === 0 && previous(name, messages);
  };
  return lost;
}
