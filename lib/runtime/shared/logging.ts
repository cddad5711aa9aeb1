import { AsyncLocalStorage } from 'node:async_hooks';
import type { Clock, Logger, LogLevel } from './ports.js';

/**
 * Log context: the fields every line written inside an invocation (request id, trace id) or inside
 * the handling of one saga event (`sagaId`, `participant`, `step`, `eventId`) carries, whatever
 * module writes the line. It lives in an `AsyncLocalStorage`, so the step runner, the TCC phase
 * and a user's step code log with the saga's ids without passing them along — the same way
 * Powertools Logger keeps its request-scoped keys.
 */
export type LogFields = Readonly<Record<string | symbol, unknown>>;

const context = new AsyncLocalStorage<LogFields>();

/** The fields of the current invocation and record (empty outside any). */
export function currentLogFields(): LogFields {
  return context.getStore() ?? {};
}

/**
 * Runs `fn` with `fields` added to the log context (undefined values are dropped, so a field
 * only known for some records never appears as `null`).
 *
 * @example
 * ```ts
 * await withLogFields({ sagaId, eventId }, () => runStep());
 * // every logger.log(...) inside runStep() carries sagaId and eventId
 * ```
 */
export function withLogFields<T>(fields: Readonly<Record<string, unknown>>, fn: () => T): T {
  const merged: Record<string, unknown> = { ...context.getStore() };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) merged[k] = v;
  return context.run(merged, fn);
}

/**
 * Adds fields to the current log context in place: the handling of one record learns its saga's
 * ids only after validating it, and the lines after that (retries, failure records) must carry
 * them. Outside any context it does nothing.
 */
export function addLogFields(fields: Readonly<Record<string, unknown>>): void {
  const store = context.getStore() as Record<string, unknown> | undefined;
  if (store) for (const [k, v] of Object.entries(fields)) if (v !== undefined) store[k] = v;
}

/**
 * The X-Ray trace header of what is being handled, carried into the outbox rows written meanwhile
 * (and from there into `PutEvents`' `TraceHeader`): the SQS record's `AWSTraceHeader` (the trace
 * the saga's event travels in, so every step of one saga lands in one trace), else the
 * invocation's `_X_AMZN_TRACE_ID` (a saga started from a traced function). Kept under a symbol
 * key: it is in the context, never on a log line.
 */
export function currentTraceHeader(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  return (context.getStore()?.[TRACE_HEADER] as string | undefined) ?? validTraceHeader(env._X_AMZN_TRACE_ID);
}
const TRACE_HEADER = Symbol('saga.traceHeader');

/** Runs `fn` with the trace header of the record it handles (ignored unless well-formed). */
export function withTraceHeader<T>(header: string | undefined, fn: () => T): T {
  const valid = validTraceHeader(header);
  return valid ? context.run({ ...context.getStore(), [TRACE_HEADER]: valid }, fn) : fn();
}

/** The subset of the Lambda context the logs use (the full `Context` of `aws-lambda` fits). */
export interface InvocationContext {
  readonly awsRequestId?: string;
}

/** The X-Ray trace id (`Root=…`) of a trace header such as `_X_AMZN_TRACE_ID` or SQS's `AWSTraceHeader`. */
export function traceIdOf(header: string | undefined): string | undefined {
  return header ? /(?:^|;)Root=([^;]+)/.exec(header)?.[1] : undefined;
}

/**
 * A well-formed X-Ray trace header, or undefined: what may be stored in an outbox row and handed
 * to `PutEvents` as its `TraceHeader` (a malformed one would make the entry fail).
 */
export function validTraceHeader(header: string | undefined): string | undefined {
  if (!header || header.length > 500) return undefined;
  return /(?:^|;)Root=1-[0-9a-f]{8}-[0-9a-f]{24}(?:;|$)/.test(header) ? header : undefined;
}

/**
 * The invocation's fields: the request id from the Lambda context and the trace id from
 * `_X_AMZN_TRACE_ID`, which the Node.js runtime sets per invocation when tracing is on.
 */
export function invocationFields(ctx: InvocationContext | undefined, env: Readonly<Record<string, string | undefined>> = process.env): LogFields {
  return { requestId: ctx?.awsRequestId, traceId: traceIdOf(env._X_AMZN_TRACE_ID) };
}

/**
 * Wraps a logger so every line it writes carries the current log context (fields given at the
 * call win over the context's). Handlers wrap their logger once; user loggers get the ids too.
 */
export function contextual(logger: Logger): Logger {
  if ((logger as { [CONTEXTUAL]?: true })[CONTEXTUAL]) return logger;
  return Object.assign(
    {
      log(level: LogLevel, message: string, fields?: Record<string, unknown>) {
        const ctx = context.getStore();
        logger.log(level, message, ctx ? { ...ctx, ...fields } : fields);
      },
    },
    { [CONTEXTUAL]: true as const },
  );
}
const CONTEXTUAL = Symbol('saga.contextualLogger');

/** A logger with one method per level taking a message and an object of keys — Powertools Logger's shape. */
export interface LevelMethodsLogger {
  debug(message: string, attributes: Record<string, unknown>): void;
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

/**
 * Adapts a logger with one method per level (Powertools Logger, pino-like loggers) to the
 * framework's `Logger`, for the handlers' `logger` dependency; the handlers make it contextual, so
 * its lines carry the saga's ids too. The framework does not bundle Powertools Logger itself
 * (docs/architecture.md, "Observability").
 *
 * @example
 * ```ts
 * import { Logger } from '@aws-lambda-powertools/logger';
 * const deps = { ...participantDepsFromEnv(orderSaga, 'inventory'), logger: levelMethodsLogger(new Logger({ serviceName: 'inventory' })) };
 * export const handler = createParticipantHandler(orderSaga, 'inventory', inventorySteps, deps);
 * ```
 */
export function levelMethodsLogger(target: LevelMethodsLogger): Logger {
  // String keys only (Object.entries skips symbols): the context's trace header stays out.
  return { log: (level, message, fields = {}) => target[level](message, Object.fromEntries(Object.entries(fields))) };
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLoggerOptions {
  /** `service` on every line (the function's role: a participant's name, `relay`, …). @default POWERTOOLS_SERVICE_NAME, else none */
  readonly service?: string;
  /** Where lines go. @default process.stdout */
  readonly write?: (line: string) => void;
  /** @default the system clock */
  readonly clock?: Clock;
}

/**
 * Structured JSON lines, one per call, as CloudWatch Logs Insights and Lambda's JSON log format
 * like them: `timestamp` (ISO 8601), `level` (`DEBUG`…`ERROR`, the values Lambda's log-level
 * filtering reads), `message`, `service`, then the log context (`requestId`, `traceId`, `sagaId`,
 * `participant`, `step`, `eventId`, …) and the call's own fields. Lines under `minLevel` cost one
 * comparison.
 *
 * @example
 * ```ts
 * const logger = jsonLogger('info', { service: 'inventory' });
 * logger.log('warn', 'message rejected', { reason: 'bad-envelope' });
 * // {"timestamp":"2026-12-07T10:00:00.000Z","level":"WARN","message":"message rejected","service":"inventory","requestId":"…","sagaId":"…","reason":"bad-envelope"}
 * ```
 */
export function jsonLogger(minLevel: LogLevel = 'info', options: JsonLoggerOptions = {}): Logger {
  const threshold = LEVELS[minLevel] ?? LEVELS.info;
  const service = options.service ?? process.env.POWERTOOLS_SERVICE_NAME;
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const now = options.clock ? () => options.clock!.now() : () => Date.now();
  return contextual({
    log(level, message, fields = {}) {
      if (LEVELS[level] < threshold) return;
      const head = { timestamp: new Date(now()).toISOString(), level: level.toUpperCase(), message, ...(service ? { service } : {}) };
      // head first (its keys lead every line), fields next, head again: a field cannot overwrite
      // timestamp, level or message.
      write(`${JSON.stringify({ ...head, ...fields, ...head })}\n`);
    },
  });
}
