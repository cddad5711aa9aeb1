import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { orderSaga } from '../../functions/order/definition.js';
import { METRIC, METRICS_NAMESPACE, participantNames } from '../../lib/core/index.js';
import { Choreography, SagaDashboard } from '../../lib/constructs/index.js';
import { FIXTURE_ENTRIES, FIXTURE_ENTRY, idOf, synthOrderSaga, testApp, type CfnResource } from './support.js';

const RUNTIME_DIR = fileURLToPath(new URL('../../lib/runtime/', import.meta.url));

/** Names of the metrics the runtime emits: every `METRIC.<key>` its sources reference. */
function emittedMetricNames(): Set<string> {
  const files = readdirSync(RUNTIME_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const keys = new Set(files.flatMap((f) => [...readFileSync(join(RUNTIME_DIR, f), 'utf8').matchAll(/\bMETRIC\.(\w+)/g)].map((m) => m[1]!)));
  return new Set([...keys].map((k) => (METRIC as Record<string, string>)[k]).filter((n): n is string => n !== undefined));
}

/** The dashboard body with its tokens rendered as their JSON, and the widgets parsed. */
function dashboardOf(template: Template): { widgets: Array<{ properties: { title?: string; metrics?: unknown[] } }>; customMetrics: string[] } {
  const [dash] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as CfnResource[];
  const body = dash!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  const widgets = (JSON.parse(text) as { widgets: Array<{ properties: { title?: string; metrics?: unknown[] } }> }).widgets;
  const searched = [...text.matchAll(/MetricName=\\"(\w+)\\"/g)].map((m) => m[1]!);
  const direct = widgets.flatMap((w) => (w.properties.metrics ?? []) as unknown[][]).filter((m) => m[0] === METRICS_NAMESPACE).map((m) => m[1] as string);
  return { widgets, customMetrics: [...searched, ...direct] };
}

describe('alarms', () => {
  it('alarms once per dead-letter queue: one alarm names each DLQ, and none counts the same DLQ again through the reconciler', () => {
    const { template } = synthOrderSaga();
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as CfnResource[];
    const dlqs = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => /DeadLetterQueue|FailureQueue/.test(id));
    expect(dlqs).toHaveLength(3 + participantNames(orderSaga).length);
    for (const dlq of dlqs) {
      const naming = alarms.filter((a) => JSON.stringify(a.Properties.Dimensions).includes(`"${dlq}"`));
      expect(naming, dlq).toHaveLength(1);
    }
    expect(alarms.filter((a) => a.Properties.MetricName === METRIC.deadLetters)).toEqual([]);
  });
});

describe('SagaDashboard', () => {
  const { template, choreography } = synthOrderSaga();
  const { widgets, customMetrics } = dashboardOf(template);

  it('has throughput, compensations, flagged sagas, DLQ depth, relay lag and reconciler actions', () => {
    const titles = widgets.map((w) => w.properties.title).filter(Boolean);
    for (const t of ['Throughput', 'Compensations', 'Flagged sagas', 'Dead letters', 'Relay lag', 'Reconciler actions']) {
      expect(titles.some((title) => title!.startsWith(t)), t).toBe(true);
    }
  });

  it('charts only metrics the runtime emits (lib/core/metrics.ts names referenced in lib/runtime)', () => {
    const emitted = emittedMetricNames();
    expect(emitted.size).toBeGreaterThan(10);
    expect(customMetrics.length).toBeGreaterThanOrEqual(12);
    for (const name of customMetrics) expect(emitted.has(name), `${name} is emitted by lib/runtime`).toBe(true);
    for (const name of [METRIC.eventsPublished, METRIC.stepsCommitted, METRIC.compensations, METRIC.sagasFlagged, METRIC.eventsRepublished, METRIC.repairs]) {
      expect(customMetrics).toContain(name);
    }
  });

  it('charts the depth of every DLQ, participants included, and the relay iterator age', () => {
    const text = JSON.stringify(widgets);
    for (const q of [choreography.tracker.deadLetterQueue, choreography.relay.failureQueue, choreography.reconciler.deadLetterQueue]) {
      expect(JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'))).toContain(idOf(q));
    }
    for (const p of participantNames(orderSaga)) expect(JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'))).toContain(idOf(choreography.addedParticipants.get(p)!.deadLetterQueue));
    expect(text).toContain('IteratorAge');
  });

  it('can be created on its own (dashboard: false, then new SagaDashboard) with a name', () => {
    const stack = new Stack(testApp(), 'OwnDashboard');
    const c = new Choreography(stack, 'Order', { definition: orderSaga, dashboard: false, ...FIXTURE_ENTRIES });
    c.addParticipant('inventory', { entry: FIXTURE_ENTRY });
    const d = new SagaDashboard(stack, 'Ops', { choreography: c, dashboardName: 'order-saga' });
    d.addDeadLetterQueue('inventory', c.addedParticipants.get('inventory')!.deadLetterQueue);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'order-saga' });
    expect(c.dashboard).toBeUndefined();
  });
});
