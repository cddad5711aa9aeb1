import { createHmac } from 'node:crypto';
import * as z from 'zod/mini';
import type { AnySagaDefinition } from '../../core/definition.js';
import { ENV, readEnv, readIntEnv } from '../../core/env.js';
import { ConfigError } from '../../core/errors.js';
import { describeIssues } from '../../core/schema-issues.js';
import type { NotifierOptions } from './types.js';

/** The notifier's defaults (8 attempts, 30 s first retry doubling up to 1 h, 5 s per request). */
export const NOTIFIER_DEFAULTS = { maxAttempts: 8, firstRetryDelayMs: 30_000, maxRetryDelayMs: 3_600_000, requestTimeoutMs: 5_000 } as const;
export type ResolvedNotifierOptions = Required<Omit<NotifierOptions, 'endpoints'>> & Pick<NotifierOptions, 'endpoints'>;
export const resolveNotifierOptions = (o: NotifierOptions): ResolvedNotifierOptions => ({ ...NOTIFIER_DEFAULTS, ...o });

/** Delay after the `failed`-th failed attempt: first × 2^(failed-1), capped. */
export function notificationBackoffMs(failed: number, options: Pick<NotifierOptions, 'firstRetryDelayMs' | 'maxRetryDelayMs'> = {}): number {
  const first = options.firstRetryDelayMs ?? NOTIFIER_DEFAULTS.firstRetryDelayMs;
  const max = options.maxRetryDelayMs ?? NOTIFIER_DEFAULTS.maxRetryDelayMs;
  return Math.min(max, first * 2 ** Math.max(0, failed - 1));
}

/** `x-saga-signature` value for a body: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signNotification(secret: string, body: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

const ENDPOINT_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;
const endpointsSchema = z.array(
  z.object({
    id: z.string().check(z.regex(ENDPOINT_ID)),
    url: z.url({ protocol: /^https?$/ }),
    signingSecretId: z.optional(z.string().check(z.minLength(1))),
    unsigned: z.optional(z.boolean()),
    events: z.optional(z.array(z.string())),
  }),
);

/** Checks a notifier configuration; throws {@link ConfigError} naming the problem. */
export function checkNotifierOptions(def: AnySagaDefinition, options: NotifierOptions): void {
  const parsed = endpointsSchema.safeParse(options.endpoints);
  if (!parsed.success) {
    throw new ConfigError(`Notifier endpoints are invalid: ${describeIssues(parsed.error.issues, options.endpoints)}. Each needs an id (${ENDPOINT_ID}) and an http(s) url.`);
  }
  const ids = options.endpoints.map((e) => e.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new ConfigError(`Notifier endpoint id "${dup}" is used twice; ids must be unique.`);
  for (const e of options.endpoints) {
    // Never silently unsigned: a missing secret is a configuration error unless unsigned is explicit.
    if (!e.signingSecretId && e.unsigned !== true) throw new ConfigError(`Notifier endpoint "${e.id}" has no signingSecretId; name the Secrets Manager secret that signs its requests, or set unsigned: true to send them unsigned on purpose.`);
    if (e.signingSecretId && e.unsigned === true) throw new ConfigError(`Notifier endpoint "${e.id}" has a signingSecretId and unsigned: true; choose one.`);
  }
  const terminals = [...def.terminal.success, ...def.terminal.failure] as string[];
  for (const e of options.endpoints) {
    const unknown = (e.events ?? []).filter((t) => !terminals.includes(t));
    if (unknown.length > 0) throw new ConfigError(`Notifier endpoint "${e.id}" lists ${unknown.join(', ')}, which are not terminal events of saga "${def.name}" (${terminals.join(', ')}).`);
  }
  const m = options.maxAttempts ?? NOTIFIER_DEFAULTS.maxAttempts;
  if (!Number.isInteger(m) || m < 1 || m > 100) throw new ConfigError(`Notifier maxAttempts must be an integer from 1 to 100, got ${JSON.stringify(m)}.`);
}

/**

/** Notifier options from the environment the `SagaNotifier` construct writes. */
export function notifierOptionsFromEnv(source: Readonly<Record<string, string | undefined>> = process.env): NotifierOptions {
  const raw = readEnv(ENV.NOTIFY_ENDPOINTS, source);
  let endpoints: unknown;
  try {
    endpoints = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${ENV.NOTIFY_ENDPOINTS} is not valid JSON; expected [{ "id": "merchant", "url": "https://…", "signingSecretId": "<secret name or ARN>" }].`, { variable: ENV.NOTIFY_ENDPOINTS });
  }
  const parsed = endpointsSchema.safeParse(endpoints);
  if (!parsed.success) throw new ConfigError(`${ENV.NOTIFY_ENDPOINTS} is invalid: ${describeIssues(parsed.error.issues, endpoints)}.`, { variable: ENV.NOTIFY_ENDPOINTS });
  return {
    endpoints: parsed.data,
    maxAttempts: readIntEnv(ENV.NOTIFY_MAX_ATTEMPTS, NOTIFIER_DEFAULTS.maxAttempts, source),
    firstRetryDelayMs: readIntEnv(ENV.NOTIFY_FIRST_RETRY_SECONDS, NOTIFIER_DEFAULTS.firstRetryDelayMs / 1000, source) * 1000,
    maxRetryDelayMs: readIntEnv(ENV.NOTIFY_MAX_RETRY_SECONDS, NOTIFIER_DEFAULTS.maxRetryDelayMs / 1000, source) * 1000,
    requestTimeoutMs: readIntEnv(ENV.NOTIFY_TIMEOUT_MS, NOTIFIER_DEFAULTS.requestTimeoutMs, source),
  };
}

