import { CreateTableCommand, waitUntilTableExists, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** A plain pay-per-request table with string keys and no stream (what a usual service has). */
export async function createPlainTable(client: DynamoDBClient, tableName: string, keys: { readonly partition: string; readonly sort?: string }): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: keys.partition, AttributeType: 'S' }, ...(keys.sort ? [{ AttributeName: keys.sort, AttributeType: 'S' as const }] : [])],
      KeySchema: [{ AttributeName: keys.partition, KeyType: 'HASH' }, ...(keys.sort ? [{ AttributeName: keys.sort, KeyType: 'RANGE' as const }] : [])],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
}
