import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import * as z from 'zod/mini';
import { describeIssues } from '../../core/schema-issues.js';
import type { AnySagaDefinition } from '../../core/definition.js';
import { SAGA_ID_PATTERN } from '../../core/envelope.js';
import { ENV, readEnv, readIntEnv, readOptionalEnv } from '../../core/env.js';
import { ConfigError } from '../../core/errors.js';
import { createDocumentClient } from '../shared/aws-clients.js';
import { checkDefinitionName } from '../shared/from-env.js';
import { readNotifications, type OutcomeNotification } from '../notifier/index.js';
import { systemClock, type Clock, type Logger, type LogLevel } from '../shared/ports.js';
import { jsonLogger } from '../shared/logging.js';
import { readSagaReceivers } from '../shared/receivers.js';
import { rememberNonce } from './replay-guard.js';
import { isTerminalStatus, readSagaRecord } from '../shared/saga-record.js';
import { DEFAULT_SECRET_MAX_AGE_SECONDS, SecretUnavailableError, secretsManagerReader, type SecretReader } from '../shared/secrets.js';

/**
 * The outcome query API of best-effort notification: a receiver that missed (or distrusts) a
 * notification asks for a saga's outcome. A Lambda function URL handler:
 *
 *   GET /sagas/{sagaId}   → 200 { sagaId, status, final, terminalEvent?, outcome?, notification? } | 404
 *
 * Authentication is two layers: in AWS the function URL uses IAM auth (SigV4) — see the
 * `SagaOutcomeApi` construct — and the handler itself checks a request signature with a
 * per-receiver key, which also makes it usable behind `authType: NONE` and testable without AWS:
 *
 *   authorization: SAGA-HMAC-SHA256 keyId=<id>,ts=<unix seconds>,nonce=<16–64 of [A-Za-z0-9_-]>,sig=<hex HMAC-SHA256(key, "<METHOD>\n<path>\n<query>\n<ts>\n<nonce>")>
 *
 * - Keys live in Secrets Manager (one secret per receiver; only its name/ARN is configured) and are
 *   cached; a signature that fails with the cached key is checked once more against a fresh read,
 *   so a rotated key works at once (at most one fresh read per key every `refetchIntervalMs`).
 * - Replay protection: `ts` must be within `maxSkewSeconds` of now, and each (key id, nonce) is
 *   accepted once — remembered in the saga table with a conditional put and a TTL past the window.
 * - Scope: a key id is a receiver id; it reads only sagas that named it at start
 *   (`startSaga(…, { receivers })`). Any other saga answers 404, exactly as an unknown one.
 */

export const OUTCOME_AUTH_SCHEME = 'SAGA-HMAC-SHA256';

/** Accepted clock skew of a signed request, either way. */
export const DEFAULT_MAX_SKEW_SECONDS = 300;

export interface OutcomeApiDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Receivers' keys: key id (the receiver id) → name or ARN of the secret holding its key. */
  readonly keySecrets: Readonly<Record<string, string>>;
  /** Where the keys are read (Secrets Manager in AWS, the local cloud's store locally). */
  readonly secrets: SecretReader;
  /** @default system clock */
  readonly clock?: Clock;
  /** Accepted clock skew of a signed request. @default 300 s */
  readonly maxSkewSeconds?: number;
  /** Least time between two fresh reads of one key after failed signature checks (bounds what forged requests cost). @default 30 s */
  readonly refetchIntervalMs?: number;
  readonly logger?: Logger;
}

/** The JSON body of a 200 answer. */
export interface SagaOutcome {
  readonly sagaId: string;
  readonly definition: string;
  readonly status: string;
  /** True once the saga is completed or compensated: the outcome will not change any more. */
  readonly final: boolean;
  readonly terminalEvent?: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  /** What the notifier sent (or tried to send) to this receiver, when there is one. */
  readonly outcome?: OutcomeNotification;
  readonly notification?: { readonly state: string; readonly attempts: number; readonly deliveredAt?: string; readonly flagged?: boolean };
}

/** The string a request signature covers. */
export function outcomeCanonicalRequest(method: string, path: string, query: string, ts: number, nonce: string): string {
  return `${method.toUpperCase()}\n${path}\n${query}\n${ts}\n${nonce}`;
}

/**
 * Headers that authenticate one request to the outcome API (a new random nonce each call).
 *
 * @example
 * ```ts
 * const headers = signOutcomeRequest({ keyId: 'merchant', secret, method: 'GET', path: `/sagas/${sagaId}` });
 * const res = await fetch(`${apiUrl}sagas/${sagaId}`, { headers });
 * ```
 */
export function signOutcomeRequest(r: { keyId: string; secret: string; method: string; path: string; query?: string; now?: number; nonce?: string }): { authorization: string } {
  const ts = Math.floor((r.now ?? Date.now()) / 1000);
  const nonce = r.nonce ?? randomUUID();
  const sig = createHmac('sha256', r.secret).update(outcomeCanonicalRequest(r.method, r.path, r.query ?? '', ts, nonce)).digest('hex');
  return { authorization: `${OUTCOME_AUTH_SCHEME} keyId=${r.keyId},ts=${ts},nonce=${nonce},sig=${sig}` };
}

type Auth = { ok: true; keyId: string } | { ok: false; why: string };

const HEADER = /^SAGA-HMAC-SHA256 keyId=([A-Za-z0-9_-]{1,64}),ts=(\d{1,12}),nonce=([A-Za-z0-9_-]{16,64}),sig=([0-9a-f]{64})$/;

/** Checks signatures with keys from the secret reader, refetching a key once after a mismatch. */
class RequestAuthenticator {
  private readonly lastRefetch = new Map<string, number>();

  constructor(
    private readonly deps: OutcomeApiDeps,
    private readonly clock: Clock,
  ) {}

  async authenticate(event: LambdaFunctionURLEvent): Promise<Auth> {
    const now = this.clock.now();
    const header = event.headers?.authorization ?? event.headers?.Authorization;
    if (!header) return { ok: false, why: 'missing authorization header' };
    const match = HEADER.exec(header.trim());
    if (!match) return { ok: false, why: `authorization is not "${OUTCOME_AUTH_SCHEME} keyId=…,ts=…,nonce=…,sig=…"` };
    const [, keyId, tsText, nonce, sig] = match as unknown as [string, string, string, string, string];
    const secretId = Object.hasOwn(this.deps.keySecrets, keyId) ? this.deps.keySecrets[keyId] : undefined;
    if (!secretId) return { ok: false, why: `unknown key id ${keyId}` };
    const ts = Number(tsText);
    const window = this.deps.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS;
    if (Math.abs(now / 1000 - ts) > window) return { ok: false, why: `timestamp ${ts} outside the accepted window of ±${window} s` };
    const canonical = outcomeCanonicalRequest(event.requestContext?.http?.method ?? 'GET', event.rawPath ?? '/', event.rawQueryString ?? '', ts, nonce);
    const given = Buffer.from(sig, 'hex');
    let valid = matches(await this.deps.secrets.read(secretId), canonical, given);
    if (!valid && now - (this.lastRefetch.get(keyId) ?? -Infinity) >= (this.deps.refetchIntervalMs ?? 30_000)) {
      // The key may have rotated since it was cached: one fresh read decides.
      this.lastRefetch.set(keyId, now);
      valid = matches(await this.deps.secrets.read(secretId, { forceFetch: true }), canonical, given);
    }
    if (!valid) return { ok: false, why: 'bad signature' };
    // Only after the signature holds, so unsigned traffic cannot fill the table with nonces.
    if (!(await rememberNonce(this.deps.client, this.deps.tableName, { keyId, nonce, expiresAt: ts + 2 * window }))) return { ok: false, why: `replayed nonce ${nonce}` };
    return { ok: true, keyId };
  }
}

function matches(key: string, canonical: string, given: Buffer): boolean {
  const expected = createHmac('sha256', key).update(canonical).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): LambdaFunctionURLResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(body),
});

/**
 * Creates the outcome API handler (Lambda function URL event format 2.0).
 *
 * @example
 * ```ts
 * export const handler = lazyHandler(() => createOutcomeApiHandler(orderSaga, outcomeApiDepsFromEnv(orderSaga)));
 * ```
 */
export function createOutcomeApiHandler(def: AnySagaDefinition, deps: OutcomeApiDeps): (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult> {
  const authenticator = new RequestAuthenticator(deps, deps.clock ?? systemClock);
  return async (event) => {
    let auth: Auth;
    try {
      auth = await authenticator.authenticate(event);
    } catch (error) {
      if (!(error instanceof SecretUnavailableError)) throw error;
      // A missing or unreadable key is our configuration problem, not the caller's: say so in the logs, answer 503.
      deps.logger?.log('error', 'outcome API: a receiver key could not be read; requests with it are refused until it can', { secretId: error.secretId, error: error.message });
      return json(503, { message: 'The outcome API cannot check signatures right now; retry later.' }, { 'retry-after': '60' });
    }
    if (!auth.ok) {
      deps.logger?.log('warn', 'outcome API: unauthenticated request refused', { why: auth.why, path: event.rawPath });
      // The reason stays in our logs; the caller learns only how to authenticate.
      return json(401, { message: 'Unauthenticated: sign the request (see signOutcomeRequest).' }, { 'www-authenticate': OUTCOME_AUTH_SCHEME });
    }
    const method = event.requestContext?.http?.method ?? 'GET';
    const route = /^\/sagas\/([^/]+)\/?$/.exec(event.rawPath ?? '');
    if (!route) return json(404, { message: `No route ${event.rawPath}; use GET /sagas/{sagaId}.` });
    if (method !== 'GET') return json(405, { message: `Method ${method} not allowed; use GET.` }, { allow: 'GET' });
    const sagaId = decodeURIComponent(route[1]!);
    if (!SAGA_ID_PATTERN.test(sagaId)) return json(400, { message: `Saga id ${JSON.stringify(sagaId.slice(0, 80))} has the wrong shape; expected ${SAGA_ID_PATTERN}.` });
    const notFound = json(404, { message: `No saga ${sagaId} in "${def.name}" for this key.` });
    // Another receiver's saga answers exactly as an unknown one: a key learns nothing about sagas that are not its own.
    if (!(await readSagaReceivers(deps.client, deps.tableName, sagaId)).includes(auth.keyId)) return notFound;
    const record = await readSagaRecord(deps.client, deps.tableName, sagaId);
    if (!record || record.definition !== def.name) return notFound;
    const { notifications } = await readNotifications(deps.client, deps.tableName, sagaId);
    const mine = notifications.find((n) => n.endpointId === auth.keyId);
    const body: SagaOutcome = {
      sagaId,
      definition: record.definition,
      status: record.status,
      final: isTerminalStatus(record.status),
      ...(record.terminalEvent ? { terminalEvent: record.terminalEvent } : {}),
      startedAt: record.startedAt,
      updatedAt: record.updatedAt,
      ...(mine
        ? {
            outcome: JSON.parse(mine.body) as OutcomeNotification,
            notification: { state: mine.state, attempts: mine.attempts, ...(mine.deliveredAt ? { deliveredAt: mine.deliveredAt } : {}), ...(mine.flagged ? { flagged: true } : {}) },
          }
        : {}),
    };
    return json(200, body);
  };
}

const keySecretsSchema = z.record(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)), z.string().check(z.minLength(1)));

/**
 * Outcome API dependencies from the environment the `SagaOutcomeApi` construct writes: the key
 * secrets' names/ARNs (never the keys), read through Secrets Manager with a cache of
 * `SAGA_SECRETS_MAX_AGE_SECONDS` (default 300).
 */
export function outcomeApiDepsFromEnv(def: AnySagaDefinition, source: Readonly<Record<string, string | undefined>> = process.env): OutcomeApiDeps {
  checkDefinitionName(def);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readEnv(ENV.OUTCOME_API_KEY_SECRETS, source));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${ENV.OUTCOME_API_KEY_SECRETS} is not valid JSON; expected {"<keyId>": "<secret name or ARN>"}.`, { variable: ENV.OUTCOME_API_KEY_SECRETS });
  }
  const keys = keySecretsSchema.safeParse(parsed);
  if (!keys.success) throw new ConfigError(`${ENV.OUTCOME_API_KEY_SECRETS} is invalid: ${describeIssues(keys.error.issues, parsed)}.`, { variable: ENV.OUTCOME_API_KEY_SECRETS });
  if (Object.keys(keys.data).length === 0) throw new ConfigError(`${ENV.OUTCOME_API_KEY_SECRETS} names no key: nobody could query. Give each receiver a key secret.`, { variable: ENV.OUTCOME_API_KEY_SECRETS });
  return {
    client: createDocumentClient(),
    tableName: readEnv(ENV.TABLE_NAME, source),
    keySecrets: keys.data,
    secrets: secretsManagerReader({ maxAgeSeconds: readIntEnv(ENV.SECRETS_MAX_AGE_SECONDS, DEFAULT_SECRET_MAX_AGE_SECONDS, source) }),
    logger: jsonLogger(readOptionalEnv(ENV.LOG_LEVEL, 'info', source) as LogLevel),
  };
}
