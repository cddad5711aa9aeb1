import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, UpdateTimeToLiveCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { KEY } from '../core/keys.js';

/**
 * Creates the saga table exactly as the `Choreography` construct does: string `pk`/`sk`, a
 * NEW_IMAGE stream for the relay and the sparse `open-sagas` index — and TTL on `expiresAt` only
 * with `{ ttl: true }` (see below). Returns the stream ARN.
 */
export async function createSagaTable(client: DynamoDBClient, tableName: string, options: { readonly ttl?: boolean } = {}): Promise<{ streamArn: string }> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: KEY.partition, AttributeType: 'S' },
        { AttributeName: KEY.sort, AttributeType: 'S' },
        { AttributeName: KEY.openPartition, AttributeType: 'S' },
        { AttributeName: KEY.openSort, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: KEY.partition, KeyType: 'HASH' },
        { AttributeName: KEY.sort, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: KEY.openIndex,
          KeySchema: [
            { AttributeName: KEY.openPartition, KeyType: 'HASH' },
            { AttributeName: KEY.openSort, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
  // TTL stays off unless asked for. DynamoDB Local does expire items (by wall-clock time, in the
  // background, seen in the stream as removals), while the local cloud stamps `expiresAt` from its
  // virtual clock, which starts in the past: with TTL on, barriers and start records vanished
  // mid-run — a duplicate then took effect twice. AWS expires by real time, where the stamps are right.
  if (options.ttl) {
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: KEY.ttl } })).catch(() => undefined);
  }
  const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = described.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`Table ${tableName} has no stream; the relay needs one.`);
  return { streamArn };
}
