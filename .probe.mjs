import { DynamoDBClient, ListTablesCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
const c = new DynamoDBClient({ endpoint: 'http://localhost:44141', region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
const d = DynamoDBDocumentClient.from(c);
const t = await c.send(new ListTablesCommand({}));
console.log(t.TableNames);
for (const name of t.TableNames) {
  const desc = await c.send(new DescribeTableCommand({ TableName: name }));
  console.log(name, desc.Table.ItemCount, JSON.stringify(desc.Table.GlobalSecondaryIndexes?.map(g => [g.IndexName, g.ItemCount, g.KeySchema.map(k=>k.AttributeName)])));
  for (const shard of ['open#0','open#1','open#2','open#3','open#failures','open#attention','open#starts','open#unpublished']) {
    let n = 0, k; do { const r = await d.send(new QueryCommand({ TableName: name, IndexName: 'open-sagas', KeyConditionExpression: 'openShard = :s', ExpressionAttributeValues: { ':s': shard }, Select: 'COUNT', ExclusiveStartKey: k })); n += r.Count; k = r.LastEvaluatedKey; } while (k);
    console.log(' ', shard, n);
  }
}
