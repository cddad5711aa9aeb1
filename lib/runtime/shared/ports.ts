import { createHash, randomUUID } from 'node:crypto';

/** Source of "now"; the local cloud passes a virtual clock so tests can move time. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/** Source of unique ids (event ids, request tokens); seeded in the local cloud for replayable runs. */
export type IdSource = () => string;
export const randomIds: IdSource = () => randomUUID();

/**
 * The `ClientRequestToken` of one TransactWriteItems call. DynamoDB scopes tokens to the account
 * and region for 10 minutes — not to a table — so tokens drawn from a seeded id source would repeat
 * when the same seed is replayed on one endpoint (IdempotentParameterMismatch, or a commit silently
 * skipped as a "retry" of the earlier run). Mixing in the table name keeps replays deterministic
 * and tokens unique.
 */
export function requestToken(tableName: string, id: string): string {
  return createHash('sha256').update(`${tableName}\n${id}`).digest('hex').slice(0, 36);
}

/** Waits between in-process retries; the local cloud advances its virtual clock instead of sleeping. */
export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}
export const silentLogger: Logger = { log: () => undefined };

export { METRIC, METRICS_NAMESPACE, type MetricName } from '../../core/metrics.js';
import type { MetricName } from '../../core/metrics.js';

export interface Metrics {
  count(name: MetricName, value?: number, dimensions?: Record<string, string>): void;
}

/** Counts in memory; used by the local cloud, tests and `saga run`. */
export class InMemoryMetrics implements Metrics {
  readonly counts = new Map<string, number>();
  count(name: MetricName, value = 1, dimensions: Record<string, string> = {}): void {
    const key = [name, ...Object.entries(dimensions).map(([k, v]) => `${k}=${v}`)].join('|');
    this.counts.set(key, (this.counts.get(key) ?? 0) + value);
  }
  /** Sum of a metric over all dimension values. */
  total(name: MetricName): number {
    let sum = 0;
    for (const [key, v] of this.counts) if (key === name || key.startsWith(`${name}|`)) sum += v;
    return sum;
  }
}
