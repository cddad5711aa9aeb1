import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KEY, outcomeNonceKey } from '../../core/keys.js';

/** Nonces: 16–64 letters, digits, '_' or '-' (a random UUID or 128 bits in base64url). */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * Remembers a request's nonce with a conditional put, so a second request with the same key id and
 * nonce is refused however many API instances serve it. The item expires (TTL) once the request's
 * timestamp is outside the accepted window: a replay after that fails the timestamp check instead.
 * DynamoDB deletes expired items late (up to days), which only keeps them longer than needed.
 *
 * @returns true the first time, false for a nonce already used
 *
 * @example
 * ```ts
 * if (!(await rememberNonce(client, tableName, { keyId, nonce, expiresAt: ts + 2 * windowSeconds }))) refuse('replayed');
 * ```
 */
export async function rememberNonce(client: DynamoDBDocumentClient, tableName: string, r: { readonly keyId: string; readonly nonce: string; readonly expiresAt: number }): Promise<boolean> {
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...outcomeNonceKey(r.keyId, r.nonce), kind: 'outcome-nonce', [KEY.ttl]: r.expiresAt },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}
