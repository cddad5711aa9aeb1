import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type TransactItem = Record<string, { ConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown>; Key?: Record<string, unknown>; Item?: Record<string, unknown> } | undefined>;

const isBarrier = (key: Record<string, unknown> | undefined): boolean =>
  typeof key?.pk === 'string' && key.pk.includes('#saga#') && typeof key.sk === 'string' && key.sk.startsWith('step#') && !key.pk.startsWith('initiator#');

/**
 * TEST ONLY — deliberately breaks the subtransaction barrier of every step transaction sent through
 * `client`: the barrier item's condition (`attribute_not_exists(pk)` / `#state = :seen`) is removed
 * before the request is sent, so duplicates apply twice and late forward steps overwrite their
 * compensation's tombstone. It exists to prove the invariant checker and the property tests can
 * fail; it lives under test/ and nothing in lib/ can reach it.
 */
export function UNSAFE_breakBarrierForTests(client: DynamoDBDocumentClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
      const input = args.input as { TransactItems?: TransactItem[] };
      const items = (input.TransactItems ?? []).map((entry) => {
        const [op, body] = Object.entries(entry)[0] ?? [];
        if (!op || !body || !isBarrier(body.Key ?? body.Item)) return entry;
        const { ConditionExpression: _dropped, ExpressionAttributeValues, ...rest } = body;
        const values = { ...(ExpressionAttributeValues ?? {}) };
        delete values[':seen'];
        return { [op]: { ...rest, ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}) } };
      });
      return next({ ...args, input: { ...input, TransactItems: items } });
    },
    { step: 'initialize', name: 'UNSAFE_breakBarrierForTests', priority: 'low' },
  );
}
