import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import * as z from 'zod/mini';
import { describeIssues } from '../core/schema-issues.js';
import type { AnySagaDefinition } from '../core/definition.js';
import { SAGA_ID_PATTERN } from '../core/envelope.js';
import { ENV, readEnv, readOptionalEnv } from '../core/env.js';
import { ConfigError } from '../core/errors.js';
import { createDocumentClient } from './aws-clients.js';
import { checkDefinitionName } from './from-env.js';
import { readNotifications, type OutcomeNotification } from './notifier.js';
import { jsonLogger, systemClock, type Clock, type Logger, type LogLevel } from './ports.js';
import { isTerminalStatus, readSagaRecord } from './saga-record.js';

/**
 * The outcome query API of best-effort notification: a receiver that missed (or distrusts) a
 * notification asks for a saga's outcome. A Lambda function URL handler:
 *
 *   GET /sagas/{sagaId}   → 200 { sagaId, status, final, terminalEvent?, outcome?, notification? } | 404
 *
 * Authentication is two layers: in AWS the function URL uses IAM auth (SigV4) — see the
 * `SagaNotifier` construct — and the handler itself checks a request signature with a per-receiver
 * key, which also makes it testable (and usable behind `authType: NONE`) without AWS:
 *
 *   authorization: SAGA-HMAC-SHA256 keyId=<id>,ts=<unix seconds>,sig=<hex HMAC-SHA256(secret, "<METHOD>\n<path>\n<query>\n<ts>")>
 *
 * A receiver's key id is its notifier endpoint id: it sees its own notification's state and body.
 */

export const OUTCOME_AUTH_SCHEME = 'SAGA-HMAC-SHA256';

export interface OutcomeApiDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Receivers' keys: key id → shared secret. */
  readonly keys: Readonly<Record<string, string>>;
  /** @default system clock */
  readonly clock?: Clock;
  /** Accepted clock skew of a signed request. @default 300 s */
  readonly maxSkewSeconds?: number;
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
export function outcomeCanonicalRequest(method: string, path: string, query: string, ts: number): string {
  return `${method.toUpperCase()}\n${path}\n${query}\n${ts}`;
}

/**
 * Headers that authenticate one request to the outcome API.
 *
 * @example
 * ```ts
 * const headers = signOutcomeRequest({ keyId: 'merchant', secret, method: 'GET', path: `/sagas/${sagaId}` });
 * const res = await fetch(`${apiUrl}sagas/${sagaId}`, { headers });
 * ```
 */
export function signOutcomeRequest(r: { keyId: string; secret: string; method: string; path: string; query?: string; now?: number }): { authorization: string } {
  const ts = Math.floor((r.now ?? Date.now()) / 1000);
  const sig = createHmac('sha256', r.secret).update(outcomeCanonicalRequest(r.method, r.path, r.query ?? '', ts)).digest('hex');
  return { authorization: `${OUTCOME_AUTH_SCHEME} keyId=${r.keyId},ts=${ts},sig=${sig}` };
}

type Auth = { ok: true; keyId: string } | { ok: false; why: string };

function authenticate(event: LambdaFunctionURLEvent, deps: OutcomeApiDeps, now: number): Auth {
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  if (!header) return { ok: false, why: 'missing authorization header' };
  const match = /^SAGA-HMAC-SHA256 keyId=([A-Za-z0-9_-]{1,64}),ts=(\d{1,12}),sig=([0-9a-f]{64})$/.exec(header.trim());
  if (!match) return { ok: false, why: `authorization is not "${OUTCOME_AUTH_SCHEME} keyId=…,ts=…,sig=…"` };
  const [, keyId, tsText, sig] = match as unknown as [string, string, string, string];
  const secret = Object.hasOwn(deps.keys, keyId) ? deps.keys[keyId] : undefined;
  if (!secret) return { ok: false, why: 'unknown key id' };
  const ts = Number(tsText);
  if (Math.abs(now / 1000 - ts) > (deps.maxSkewSeconds ?? 300)) return { ok: false, why: 'timestamp outside the accepted window' };
  const method = event.requestContext?.http?.method ?? 'GET';
  const expected = createHmac('sha256', secret).update(outcomeCanonicalRequest(method, event.rawPath ?? '/', event.rawQueryString ?? '', ts)).digest();
  const given = Buffer.from(sig, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, why: 'bad signature' };
  return { ok: true, keyId };
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
  const clock = deps.clock ?? systemClock;
  return async (event) => {
    const auth = authenticate(event, deps, clock.now());
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
    const record = await readSagaRecord(deps.client, deps.tableName, sagaId);
    if (!record || record.definition !== def.name) return json(404, { message: `No saga ${sagaId} in "${def.name}".` });
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

const keysSchema = z.record(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)), z.string().check(z.minLength(16)));

/** Outcome API dependencies from the environment the `SagaNotifier` construct writes. */
export function outcomeApiDepsFromEnv(def: AnySagaDefinition, source: Readonly<Record<string, string | undefined>> = process.env): OutcomeApiDeps {
  checkDefinitionName(def);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readEnv(ENV.OUTCOME_API_KEYS, source));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${ENV.OUTCOME_API_KEYS} is not valid JSON; expected {"<keyId>": "<secret of at least 16 characters>"}.`, { variable: ENV.OUTCOME_API_KEYS });
  }
  const keys = keysSchema.safeParse(parsed);
  if (!keys.success) throw new ConfigError(`${ENV.OUTCOME_API_KEYS} is invalid: ${describeIssues(keys.error.issues, parsed)}.`, { variable: ENV.OUTCOME_API_KEYS });
  return {
    client: createDocumentClient(),
    tableName: readEnv(ENV.TABLE_NAME, source),
    keys: keys.data,
    logger: jsonLogger(readOptionalEnv(ENV.LOG_LEVEL, 'info', source) as LogLevel),
  };
}
