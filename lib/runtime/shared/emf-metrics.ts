import { Metrics as PowertoolsMetrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE } from '../../core/metrics.js';
import type { Clock, Logger, Metrics } from './ports.js';

/**
 * CloudWatch Embedded Metric Format through Powertools Metrics: one EMF log line per count (no
 * PutMetricData call on the hot path, no extra IAM permission), serialised and checked (names,
 * dimension limits, timestamps) by `@aws-lambda-powertools/metrics`.
 *
 * Each line declares two dimension sets: the saga-wide one (`baseDimensions`, what the
 * constructs' alarms watch) and, when the call adds dimensions, the detailed one. Powertools'
 * own `service` default dimension is removed: a metric's identity in CloudWatch is its whole
 * dimension set, and the alarms watch `[Saga]`. Lines are written at once (Powertools'
 * single-metric mode, done by hand on one instance) so no flush hook is needed at the end of an
 * invocation and a crash loses nothing already counted. `POWERTOOLS_METRICS_DISABLED=true`
 * silences them.
 *
 * @example
 * ```ts
 * const metrics = emfMetrics('SagaChoreography', { Saga: 'order' });
 * metrics.count(METRIC.stepsCommitted, 1, { Participant: 'inventory' });
 * // {"_aws":{…,"Dimensions":[["Saga"],["Saga","Participant"]],…},"Saga":"order","Participant":"inventory","StepsCommitted":1}
 * ```
 */
export function emfMetrics(namespace = METRICS_NAMESPACE, baseDimensions: Record<string, string> = {}, clock?: Clock, logger?: Logger): Metrics {
  const emf = new PowertoolsMetrics({ namespace, ...(logger ? { logger: powertoolsLoggerOver(logger) } : {}) });
  emf.clearDefaultDimensions();
  emf.setDefaultDimensions(baseDimensions);
  return {
    count(name, value = 1, dimensions = {}) {
      // Dimensions equal to a base one are already on the line (repeating them would make
      // Powertools warn about a key defined twice); an empty value is no dimension (CloudWatch
      // refuses it).
      const extra: Record<string, string> = {};
      for (const [k, v] of Object.entries(dimensions)) if (v !== '' && baseDimensions[k] !== v) extra[k] = v;
      // An empty set adds the base dimensions alone: the saga-wide set.
      emf.addDimensions({});
      if (Object.keys(extra).length > 0) emf.addDimensions(extra);
      if (clock) emf.setTimestamp(clock.now());
      emf.addMetric(name, MetricUnit.Count, value);
      emf.publishStoredMetrics();
    },
  };
}

/** Powertools' warnings (an invalid dimension, a timestamp out of range) as our structured lines. */
function powertoolsLoggerOver(logger: Logger) {
  const line = (level: 'info' | 'warn' | 'error') => (...content: unknown[]) => logger.log(level, `metrics: ${content.map(String).join(' ')}`);
  return { debug: () => undefined, info: line('info'), warn: line('warn'), error: line('error') };
}
