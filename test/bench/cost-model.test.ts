import { describe, expect, it } from 'vitest';
import { costPerMillionSagas, LIST_PRICES, stepFunctionsPerMillionSagas, withoutTracker, type Assumptions, type SagaUsage } from '../../bench/lib/cost-model.js';

const usage: SagaUsage = { events: 5, stepWru: 28, stepRru: 2, trackerWru: 10, trackerRru: 5, participantMessages: 4, trackerMessages: 5 };
const oneByOne: Assumptions = { name: 'test', sqsBatch: 1, relayBatch: 1, msPerInvocation: 30, msPerRecord: 20, participantMemoryMb: 256, trackerMemoryMb: 256, relayMemoryMb: 512 };
const line = (lines: { component: string; dollars: number }[], name: string) => lines.find((l) => l.component === name)!.dollars;

describe('bench cost model', () => {
  it('prices each component from usage per saga and list prices', () => {
    const { lines, total } = costPerMillionSagas(usage, oneByOne);
    expect(line(lines, 'DynamoDB writes, steps')).toBeCloseTo(28 * 0.625, 10);
    expect(line(lines, 'DynamoDB reads, tracker')).toBeCloseTo(5 * 0.125, 10);
    expect(line(lines, 'EventBridge')).toBe(5);
    // 9 messages: send + receive + delete each when every batch holds one message
    expect(line(lines, 'SQS')).toBeCloseTo(27 * 0.4, 10);
    // 4 participant invocations of 50 ms at 256 MB: 4 × 0.2 $/M + 0.05 GB-s × 1e6 × price
    expect(line(lines, 'Lambda, participants')).toBeCloseTo(4 * 0.2 + 0.05 * 1e6 * LIST_PRICES.lambdaPerGbSecond, 10);
    expect(total).toBeCloseTo(lines.reduce((s, l) => s + l.dollars, 0), 10);
  });

  it('batching divides invocations and SQS receives/deletes, not sends', () => {
    const busy = costPerMillionSagas(usage, { ...oneByOne, sqsBatch: 10, relayBatch: 100 });
    expect(line(busy.lines, 'SQS')).toBeCloseTo((9 + 2 * 0.9) * 0.4, 10);
    expect(line(busy.lines, 'Lambda, relay')).toBeLessThan(line(costPerMillionSagas(usage, oneByOne).lines, 'Lambda, relay'));
  });

  it('drops the tracker share for what-if lines', () => {
    const without = costPerMillionSagas(withoutTracker(usage), oneByOne);
    expect(line(without.lines, 'DynamoDB writes, tracker')).toBe(0);
    expect(line(without.lines, 'SQS')).toBeCloseTo(12 * 0.4, 10);
  });

  it('prices Step Functions Standard by transitions', () => {
    expect(stepFunctionsPerMillionSagas(5)).toBe(125);
  });

  it('fails if a batch size is impossible', () => {
    expect(() => costPerMillionSagas(usage, { ...oneByOne, sqsBatch: 11 })).toThrow(/1\.\.10/);
    expect(() => costPerMillionSagas(usage, { ...oneByOne, relayBatch: 0 })).toThrow(/≥ 1/);
  });
});
