import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAIN_SKU, orderSaga, referenceParticipants, SCARCE_SKU, seedStock } from '../../lib/cli/reference-app.js';
import { outboxPartition } from '../../lib/core/keys.js';
import { participantNames } from '../../lib/core/model.js';
import { LocalCloud } from '../../lib/local/cloud.js';
import { jsonLogger, levelMethodsLogger } from '../../lib/runtime/shared/logging.js';
import { InMemoryMetrics } from '../../lib/runtime/shared/ports.js';
import { createReconcilerHandler } from '../../lib/runtime/reconciler/reconciler.js';

/**
 * What an operator greps for in CloudWatch: every line the participants, the relay, the tracker
 * and the reconciler write, captured from the production JSON logger while the reference saga
 * runs on the local cloud (in-process DynamoDB engine), carries timestamp, level, request id,
 * trace id and the ids of the saga it is about.
 */

const TRACE = 'Root=1-6754a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1';
const clouds: LocalCloud[] = [];
const savedTrace = process.env._X_AMZN_TRACE_ID;
afterEach(async () => {
  for (const c of clouds.splice(0)) await c.stop();
  if (savedTrace === undefined) delete process.env._X_AMZN_TRACE_ID;
  else process.env._X_AMZN_TRACE_ID = savedTrace;
});

type Line = Record<string, unknown> & { timestamp: string; level: string; message: string };

function capture() {
  const lines: Line[] = [];
  const logger = jsonLogger('debug', { write: (text) => lines.push(JSON.parse(text) as Line) });
  return { lines, logger };
}

async function startCloud(logger = capture().logger) {
  const cloud = await LocalCloud.start({ definition: orderSaga, participants: referenceParticipants, seed: 7, logger });
  clouds.push(cloud);
  await seedStock(cloud, { [MAIN_SKU]: 10, [SCARCE_SKU]: 1 });
  return cloud;
}

function expectInvocationFields(line: Line): void {
  expect(Number.isNaN(Date.parse(line.timestamp)), `timestamp of ${JSON.stringify(line)}`).toBe(false);
  expect(['DEBUG', 'INFO', 'WARN', 'ERROR']).toContain(line.level);
  expect(line.requestId, `requestId of ${JSON.stringify(line)}`).toMatch(/^local-/);
  expect(line.traceId, `traceId of ${JSON.stringify(line)}`).toBe('1-6754a1b2-0123456789abcdef01234567');
  expect(line.saga).toBe(orderSaga.name);
}

describe('structured logs that follow a saga', () => {
  it('every line of the participants, the relay and the tracker carries the saga ids, timestamp, level, request id and trace id', async () => {
    // GIVEN the reference saga on the local cloud, logging at debug level through the JSON logger, traced
    const { lines, logger } = capture();
    const cloud = await startCloud(logger);
    process.env._X_AMZN_TRACE_ID = TRACE;
    // WHEN one saga completes and one is compensated (stock unavailable)
    const ok = await cloud.startSaga({ orderId: 'o-1', customerId: 'c-1', sku: MAIN_SKU, quantity: 1, amountCents: 1_000 });
    const short = await cloud.startSaga({ orderId: 'o-2', customerId: 'c-2', sku: SCARCE_SKU, quantity: 3, amountCents: 1_000 });
    await cloud.runUntilQuiet();
    // THEN every component wrote lines, and each line carries the invocation's and the saga's ids
    const sagaIds = new Set([ok.sagaId, short.sagaId]);
    const byComponent = (c: string) => lines.filter((l) => (c === 'participant' ? typeof l.participant === 'string' && l.component === undefined : l.component === c));
    expect(byComponent('participant').length).toBeGreaterThan(0);
    expect(byComponent('relay').length).toBeGreaterThan(0);
    expect(byComponent('tracker').length).toBeGreaterThan(0);
    for (const line of lines) {
      expectInvocationFields(line);
      expect(sagaIds, `sagaId of ${JSON.stringify(line)}`).toContain(line.sagaId);
      expect(line.eventId, `eventId of ${JSON.stringify(line)}`).toEqual(expect.any(String));
    }
    for (const line of byComponent('participant')) {
      expect(participantNames(orderSaga)).toContain(line.participant);
      expect(line.step, `step of ${JSON.stringify(line)}`).toEqual(expect.any(String));
      expect(line.messageId).toEqual(expect.any(String));
    }
    // AND a participant's line names the step that ran for the saga
    expect(lines).toContainEqual(expect.objectContaining({ message: 'step handled', sagaId: short.sagaId, participant: 'inventory', step: 'reserveStock', outcome: 'committed', state: 'failed' }));
  });

  it('every line of the reconciler carries timestamp, level, request id and trace id, and a saga it acts on has its id', async () => {
    // GIVEN a saga stuck before payment (its queue is never delivered) past its deadline
    const cloud = await startCloud();
    cloud.beforeInvoke = (consumer) => consumer !== 'payment';
    const stuck = await cloud.startSaga({ orderId: 'o-3', customerId: 'c-3', sku: MAIN_SKU, quantity: 1, amountCents: 1_000 });
    await cloud.runUntilQuiet({ maxSteps: 200 }).catch(() => undefined);
    cloud.clock.advance(3_600_000);
    // WHEN the reconciler's Lambda handler runs once with a Lambda context, traced
    process.env._X_AMZN_TRACE_ID = TRACE;
    const { lines, logger } = capture();
    const handler = createReconcilerHandler(orderSaga, { client: cloud.client, tableName: cloud.tableName, clock: cloud.clock, logger, metrics: new InMemoryMetrics() });
    const result = await handler(undefined, { awsRequestId: 'local-reconciler-1' });
    // THEN it timed the saga out and said so on a line with the saga's id, and every line has the invocation's fields
    expect(result.actions).toContainEqual(expect.objectContaining({ sagaId: stuck.sagaId, action: 'timed-out' }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'INFO', sagaId: stuck.sagaId, component: 'reconciler', message: expect.stringMatching(/^saga timed out/) }));
    expect(lines).toContainEqual(expect.objectContaining({ message: 'reconciler run finished', runId: result.runId }));
    for (const line of lines) expectInvocationFields(line);
  });

  it('carries one trace through a whole saga: the start trace header is in every outbox row the saga writes', async () => {
    // GIVEN a saga started from a traced function (the trace header is set only while it starts)
    const cloud = await startCloud();
    process.env._X_AMZN_TRACE_ID = TRACE;
    const { sagaId } = await cloud.startSaga({ orderId: 'o-4', customerId: 'c-4', sku: MAIN_SKU, quantity: 1, amountCents: 1_000 });
    delete process.env._X_AMZN_TRACE_ID;
    // WHEN it runs to its end (relay → bus → queues → participants, none of them traced themselves)
    await cloud.runUntilQuiet();
    expect((await cloud.sagaRecord(sagaId))?.status).toBe('completed');
    // THEN every producer's outbox rows kept the start's trace header: it travelled with each event
    const rows = [];
    for (const producer of ['initiator', ...participantNames(orderSaga)]) {
      const out = await cloud.client.send(new QueryCommand({ TableName: cloud.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': outboxPartition(producer, sagaId) } }));
      rows.push(...(out.Items ?? []));
    }
    expect(rows.length).toBeGreaterThan(3);
    for (const row of rows) expect(row.traceHeader, `trace header of ${String(row.type)}`).toBe(TRACE);
  });

  it('gives a Powertools Logger passed in the deps the same saga ids on every line', async () => {
    // GIVEN the local cloud logging through Powertools Logger (adapted), stdout captured
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    let sagaId: string;
    try {
      const cloud = await startCloud(levelMethodsLogger(new PowertoolsLogger({ serviceName: 'order-saga', logLevel: 'DEBUG' })));
      // WHEN a saga runs
      sagaId = (await cloud.startSaga({ orderId: 'o-5', customerId: 'c-5', sku: MAIN_SKU, quantity: 1, amountCents: 1_000 })).sagaId;
      await cloud.runUntilQuiet();
    } finally {
      spy.mockRestore();
    }
    // THEN Powertools wrote the lines, each with its own timestamp and level and our context
    const lines = written.flatMap((w) => w.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
    const steps = lines.filter((l) => l.message === 'step handled');
    expect(steps.length).toBeGreaterThan(2);
    for (const l of steps) expect(l).toMatchObject({ level: 'DEBUG', service: 'order-saga', saga: orderSaga.name, sagaId, participant: expect.any(String), step: expect.any(String), eventId: expect.any(String), requestId: expect.stringMatching(/^local-/), timestamp: expect.any(String) });
  });
});
