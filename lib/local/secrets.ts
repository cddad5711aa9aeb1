import { ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LocalCloudError } from './errors.js';

/**
 * Secrets of the local cloud, kept in memory. The notifier and the outcome API read them through
 * the same `SecretReader` (Powertools' SecretsProvider over a real `SecretsManagerClient`) as in
 * AWS: only the client's transport is replaced, by {@link localSecretsManagerClient}. `put` on an
 * existing name is a rotation (a new version), so tests can rotate without a deploy, as in AWS.
 *
 * @example
 * ```ts
 * const store = new LocalSecretStore({ 'merchant-webhook': 'a-long-random-signing-secret' });
 * const secrets = secretsManagerReader({ client: localSecretsManagerClient(store) });
 * await secrets.read('merchant-webhook');
 * ```
 */
export class LocalSecretStore {
  private readonly values = new Map<string, { value: string; version: number }>();
  /** GetSecretValue calls answered (cache hits never reach the store). */
  reads = 0;

  constructor(initial: Readonly<Record<string, string>> = {}) {
    for (const [name, value] of Object.entries(initial)) this.put(name, value);
  }

  /** Creates the secret, or rotates it to a new value. */
  put(name: string, value: string): void {
    this.values.set(name, { value, version: (this.values.get(name)?.version ?? 0) + 1 });
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  delete(name: string): void {
    this.values.delete(name);
  }

  /** GetSecretValue's answer, or undefined for a name that does not exist. */
  get(name: string): { value: string; version: number } | undefined {
    this.reads++;
    return this.values.get(name);
  }
}

/**
 * A real `SecretsManagerClient` whose `GetSecretValue` calls are answered from `store` by a
 * middleware at the start of the SDK's stack (no socket, no credentials). A missing secret fails
 * with the SDK's own `ResourceNotFoundException`, as Secrets Manager does; other operations fail
 * with a {@link LocalCloudError} naming the one operation the local cloud serves.
 */
export function localSecretsManagerClient(store: LocalSecretStore): SecretsManagerClient {
  const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      if (context.commandName !== 'GetSecretValueCommand') {
        throw new LocalCloudError(`The local cloud's Secrets Manager answers GetSecretValue only, not ${String(context.commandName)}; manage local secrets with LocalSecretStore.put.`);
      }
      const secretId = String((args.input as { SecretId?: string }).SecretId);
      const found = store.get(secretId);
      if (!found) throw new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: { httpStatusCode: 400 } });
      return { output: { $metadata: { httpStatusCode: 200 }, ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${secretId}`, Name: secretId, SecretString: found.value, VersionId: `v${found.version}` }, response: {} } as never;
    },
    { step: 'initialize', name: 'saga.localSecretsManager', priority: 'high' },
  );
  return client;
}
