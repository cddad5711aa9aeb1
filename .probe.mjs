import { DynamoDBClient, ListTablesCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
const c = new DynamoDBClient({ endpoint: 'http://localhost:45563', region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
const d = DynamoDBDocumentClient.from(c);
const t = await c.send(new ListTablesCommand({}));
const now = process.argv[2];
for (const name of t.TableNames) {
  const desc = await c.send(new DescribeTableCommand({ TableName: name }));
  console.log(name, desc.Table.ItemCount);
  for (const shard of ['open#0','open#1','open#2','open#3','open#failures','open#attention','open#starts','open#unpublished']) {
    let n = 0, k; const stat = {}; do { const r = await d.send(new QueryCommand({ TableName: name, IndexName: 'open-sagas', KeyConditionExpression: 'openShard = :s', ExpressionAttributeValues: { ':s': shard }, ExclusiveStartKey: k })); n += r.Count; k = r.LastEvaluatedKey; for (const i of r.Items) { const s = i.status ?? i.kind; stat[s] = (stat[s]??0)+1; } } while (k);
    console.log(' ', shard, n, JSON.stringify(stat));
  }
}
