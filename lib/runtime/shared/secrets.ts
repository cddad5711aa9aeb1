import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig } from './aws-clients.js';
import { SagaRuntimeError } from './errors.js';

// Signing secrets and API keys are read from Secrets Manager when they are needed, never from the
// environment (anyone allowed lambda:GetFunctionConfiguration reads a function's variables, and a
// new value there needs a deploy). Only the secret's name or ARN travels in the environment.

/** Shortest secret value accepted: an HMAC key shorter than this is guessable. */
export const MIN_SECRET_LENGTH = 16;

/** How long a secret value is cached before it is read again (rotation takes effect within it). */
export const DEFAULT_SECRET_MAX_AGE_SECONDS = 300;

/**
 * Where the notifier and the outcome API read secrets: the port both the AWS code and the local
 * cloud go through (locally, the same Secrets Manager client answered in process — see
 * `localSecretsManagerClient` in `saga-choreography/local`).
 */
export interface SecretReader {
  /**
   * The secret's current string value, cached up to the reader's max age. `forceFetch` skips the
   * cache (after a signature check failed with the cached value: the secret may have rotated).
   * Throws {@link SecretUnavailableError} when the secret is missing, unreadable or too short.
   */
  read(secretId: string, options?: { readonly forceFetch?: boolean }): Promise<string>;
}

/** A secret could not be used: missing, not readable by this function, binary, or too short. */
export class SecretUnavailableError extends SagaRuntimeError {
  constructor(
    readonly secretId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, { secretId }, options);
    this.name = 'SecretUnavailableError';
  }
}

export interface SecretsManagerReaderOptions {
  /** @default a new client honouring AWS_ENDPOINT_URL */
  readonly client?: SecretsManagerClient;
  /** Seconds a value is cached. @default {@link DEFAULT_SECRET_MAX_AGE_SECONDS} */
  readonly maxAgeSeconds?: number;
}

/**
 * A {@link SecretReader} over Secrets Manager with Powertools Parameters' `SecretsProvider`
 * (in-memory cache with a max age per value).
 *
 * @example
 * ```ts
 * const secrets = secretsManagerReader({ maxAgeSeconds: 300 });
 * const key = await secrets.read('arn:aws:secretsmanager:eu-west-1:111122223333:secret:merchant-webhook-AbCdEf');
 * ```
 */
export function secretsManagerReader(options: SecretsManagerReaderOptions = {}): SecretReader {
  const provider = new SecretsProvider({ awsSdkV3Client: options.client ?? new SecretsManagerClient(clientConfig()) });
  const maxAge = options.maxAgeSeconds ?? DEFAULT_SECRET_MAX_AGE_SECONDS;
  return {
    async read(secretId, readOptions = {}) {
      let value: unknown;
      try {
        value = await provider.get(secretId, { maxAge, ...(readOptions.forceFetch ? { forceFetch: true } : {}) });
      } catch (error) {
        const cause = (error as { cause?: unknown }).cause ?? error;
        throw new SecretUnavailableError(
          secretId,
          `Secret ${JSON.stringify(secretId)} could not be read from Secrets Manager: ${(cause as Error).name}: ${(cause as Error).message}. ` +
            'Check that it exists in this account and region and that the function may secretsmanager:GetSecretValue it (the construct grants that).',
          { cause: error },
        );
      }
      return checkSecretValue(secretId, value);
    },
  };
}

/** The value if it is a string of at least {@link MIN_SECRET_LENGTH} characters. */
export function checkSecretValue(secretId: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new SecretUnavailableError(secretId, `Secret ${JSON.stringify(secretId)} has no string value (binary or empty); store the key as a SecretString.`);
  }
  if (value.length < MIN_SECRET_LENGTH) {
    throw new SecretUnavailableError(secretId, `Secret ${JSON.stringify(secretId)} is ${value.length} characters long; use at least ${MIN_SECRET_LENGTH} (e.g. 32 random characters).`);
  }
  return value;
}
