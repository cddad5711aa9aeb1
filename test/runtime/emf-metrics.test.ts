import { afterEach, describe, expect, it, vi } from 'vitest';
import { emfMetrics, METRIC } from '../../lib/runtime/ports.js';

describe('emfMetrics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('emits the saga-wide dimension set (what construct alarms watch) next to the detailed one', () => {
    // GIVEN stdout captured
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    // WHEN a metric with an extra dimension is counted
    emfMetrics('SagaChoreography', { Saga: 'order' }, { now: () => 42 }).count(METRIC.stepsCommitted, 1, { Participant: 'inventory' });
    // THEN one EMF line declares both dimension sets and carries the values
    const doc = JSON.parse(lines[0]!) as { _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] }; Saga: string; Participant: string; StepsCommitted: number };
    expect(doc._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['Saga'], ['Saga', 'Participant']]);
    expect(doc).toMatchObject({ Saga: 'order', Participant: 'inventory', StepsCommitted: 1, _aws: { Timestamp: 42 } });
  });

  it('declares one set when no extra dimension is given', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    emfMetrics('SagaChoreography', { Saga: 'order' }).count(METRIC.sagasFlagged);
    expect(JSON.parse(lines[0]!)._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Saga']]);
  });
});
