import { afterEach, describe, expect, it, vi } from 'vitest';
import { METRIC } from '../../lib/core/metrics.js';
import { type Logger } from '../../lib/runtime/shared/ports.js';
import { emfMetrics } from '../../lib/runtime/shared/emf-metrics.js';

interface EmfDoc {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** Captures what is written to stdout (Powertools Metrics writes EMF there) while `fn` runs. */
function stdoutOf(fn: () => void): string[] {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return lines.flatMap((chunk) => chunk.split('\n')).filter((l) => l.trim() !== '');
}

/** The structural rules of the embedded metric format that CloudWatch applies before it extracts a metric. */
function expectValidEmf(doc: EmfDoc): void {
  expect(typeof doc._aws.Timestamp).toBe('number');
  for (const directive of doc._aws.CloudWatchMetrics) {
    expect(directive.Namespace.length).toBeGreaterThan(0);
    for (const set of directive.Dimensions) for (const key of set) expect(typeof doc[key], `dimension ${key} must be a string member`).toBe('string');
    for (const m of directive.Metrics) expect(typeof doc[m.Name], `metric ${m.Name} must be a number member`).toBe('number');
  }
}

describe('emfMetrics (Powertools Metrics)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('emits the saga-wide dimension set (what construct alarms watch) next to the detailed one', () => {
    // GIVEN a metrics port over Powertools with the saga as base dimension and a clock
    const at = Date.now();
    const metrics = emfMetrics('SagaChoreography', { Saga: 'order' }, { now: () => at });
    // WHEN a metric with an extra dimension is counted
    const lines = stdoutOf(() => metrics.count(METRIC.stepsCommitted, 1, { Participant: 'inventory' }));
    // THEN one valid EMF line declares both dimension sets, the metric's name and unit, and the values
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0]!) as EmfDoc;
    expectValidEmf(doc);
    expect(doc._aws.CloudWatchMetrics).toEqual([{ Namespace: 'SagaChoreography', Dimensions: [['Saga'], ['Saga', 'Participant']], Metrics: [{ Name: 'StepsCommitted', Unit: 'Count' }] }]);
    expect(doc).toMatchObject({ Saga: 'order', Participant: 'inventory', StepsCommitted: 1, _aws: { Timestamp: at } });
    // AND Powertools' own `service` dimension is not there (it would change the metric's identity)
    expect(doc).not.toHaveProperty('service');
  });

  it('declares one set when no extra dimension is given, or when the extra one repeats the base', () => {
    const metrics = emfMetrics('SagaChoreography', { Saga: 'order' });
    const lines = stdoutOf(() => {
      metrics.count(METRIC.sagasFlagged);
      metrics.count(METRIC.eventsPublished, 3, { Saga: 'order' });
    });
    const docs = lines.map((l) => JSON.parse(l) as EmfDoc);
    expect(docs.map((d) => d._aws.CloudWatchMetrics[0]!.Dimensions)).toEqual([[['Saga']], [['Saga']]]);
    expect(docs[1]).toMatchObject({ EventsPublished: 3 });
    for (const d of docs) expectValidEmf(d);
  });

  it('uses the metric names of lib/core/metrics.ts unchanged, one line per count', () => {
    const metrics = emfMetrics('SagaChoreography', { Saga: 'order' });
    const names = Object.values(METRIC);
    const lines = stdoutOf(() => names.forEach((name) => metrics.count(name, 2, { Participant: 'p' })));
    expect(lines.map((l) => (JSON.parse(l) as EmfDoc)._aws.CloudWatchMetrics[0]!.Metrics[0]!.Name)).toEqual(names);
  });

  it('drops a dimension with an empty value (CloudWatch refuses it) and keeps the saga-wide set once', () => {
    const metrics = emfMetrics('SagaChoreography', { Saga: 'order' });
    const lines = stdoutOf(() => metrics.count(METRIC.rejections, 1, { Reason: '' }));
    expect((JSON.parse(lines[0]!) as EmfDoc)._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['Saga']]);
  });

  it('fails if the timestamp is out of what CloudWatch accepts: Powertools says so through our logger, not the console', () => {
    const warnings: string[] = [];
    const logger: Logger = { log: (level, message) => warnings.push(`${level} ${message}`) };
    const metrics = emfMetrics('SagaChoreography', { Saga: 'order' }, { now: () => 42 }, logger);
    const lines = stdoutOf(() => metrics.count(METRIC.rejections));
    expect(lines).toHaveLength(1);
    expect(warnings.join('\n')).toMatch(/^warn metrics: This metric doesn't meet the requirements and will be skipped/);
  });
});
