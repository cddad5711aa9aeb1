import { costPerMillionSagas, LIST_PRICES, stepFunctionsPerMillionSagas, withoutTracker, type Assumptions, type SagaUsage } from '../lib/cost-model.js';
import { figure, type ScenarioResult } from '../lib/report.js';
import { round } from '../lib/stats.js';
import { SCOPE } from '../lib/cloud-probe.js';
import { stepScopes, type RoundTripResult, type SagaCount, type ScopeCount } from './round-trips.js';

/** Quiet traffic: every message alone in its invocation. */
export const QUIET: Assumptions = { name: 'quiet traffic (1 message per invocation)', sqsBatch: 1, relayBatch: 1, msPerInvocation: 30, msPerRecord: 20, participantMemoryMb: 256, trackerMemoryMb: 256, relayMemoryMb: 512 };
/** Busy queues: full SQS batches, stream batches of 100. */
export const BUSY: Assumptions = { ...QUIET, name: 'busy queues (10 messages per invocation, 100 rows per relay batch)', sqsBatch: 10, relayBatch: 100 };


/**
 * Scenario 7: dollars per million sagas of the reference app's happy path, from scenario 1's
 * counted calls and item sizes, at two traffic shapes; next to Step Functions Standard.
 */
function usageOf(h: SagaCount, keep: (scope: ScopeCount) => boolean): { usage: SagaUsage; steps: ScopeCount[] } {
  const steps = stepScopes(h).filter(keep);
  const start = h.scopes.find((s) => s.scope === SCOPE.initiator);
  const parts = [...(start ? [start] : []), ...steps];
  const events = parts.reduce((n, s) => n + s.outboxRows, 0);
  // The tracker handles every event once; its cost per event is the measured average.
  const perEvent = (x: number) => (h.totals.trackerMessages ? x / h.totals.trackerMessages : 0);
  return {
    steps,
    usage: {
      events,
      stepWru: parts.reduce((n, s) => n + s.wru, 0),
      stepRru: parts.reduce((n, s) => n + s.rru, 0),
      trackerWru: round(perEvent(h.totals.trackerWru) * events, 2),
      trackerRru: round(perEvent(h.totals.trackerRru) * events, 2),
      participantMessages: steps.reduce((n, s) => n + s.events, 0),
      trackerMessages: events,
    },
  };
}

/**
 * Scenario 7: dollars per million sagas from scenario 1's counted calls and item sizes, at two
 * traffic shapes, next to Step Functions Standard. The target is for four-step sagas: the
 * reference app's inventory → order → payment → complete path (without the points TCC step, which
 * the reference app has gained since) is priced from its measured steps; the whole reference
 * saga as measured is priced too.
 */
export function costModel(s1: RoundTripResult): ScenarioResult {
  const started = performance.now();
  const h = s1.happy;
  const whole = usageOf(h, () => true);
  const classic = usageOf(h, (s) => s.scope.endsWith('.forward') && !s.scope.startsWith('points.'));
  const four = classic.steps.length === 4 ? classic : whole;
  const stepCount = four.steps.length;
  const usage = four.usage;
  const quiet = costPerMillionSagas(usage, QUIET);
  const busy = costPerMillionSagas(usage, BUSY);
  const wholeBusy = costPerMillionSagas(whole.usage, BUSY);
  const wholeQuiet = costPerMillionSagas(whole.usage, QUIET);
  const noTrackerBusy = costPerMillionSagas(withoutTracker(usage), BUSY);
  const sfn = stepFunctionsPerMillionSagas(stepCount + 1);
  const line = (c: { lines: { component: string; dollars: number }[] }, name: string) => c.lines.filter((l) => l.component.startsWith(name)).reduce((s, l) => s + l.dollars, 0);
  const table = quiet.lines.map((l, i) => `${l.component}: $${round(l.dollars, 2)} quiet / $${round(busy.lines[i]!.dollars, 2)} busy — ${l.detail}`);
  const outboxItems = usage.events;
  return {
    id: '7',
    title: 'Cost model',
    seconds: (performance.now() - started) / 1000,
    figures: [
      figure('s7.total.busy', `$ per 1M ${stepCount}-step sagas, busy queues`, round(busy.total, 2), { unit: 'USD', target: { op: '<=', value: 30 } }),
      figure('s7.total.quiet', `$ per 1M ${stepCount}-step sagas, quiet traffic`, round(quiet.total, 2), { unit: 'USD', target: { op: '<=', value: 30 } }),
      figure('s7.dynamodb', 'of which DynamoDB (busy)', round(line(busy, 'DynamoDB'), 2), { unit: 'USD' }),
      figure('s7.tracker', 'of which the tracker: DynamoDB + SQS + Lambda (busy)', round(busy.total - noTrackerBusy.total, 2), { unit: 'USD' }),
      figure('s7.sqs', 'of which SQS (quiet / busy)', `$${round(line(quiet, 'SQS'), 2)} / $${round(line(busy, 'SQS'), 2)}`),
      figure('s7.sfn', `Step Functions Standard, transitions only (${stepCount + 1}/saga)`, round(sfn, 2), { unit: 'USD' }),
      figure('s7.ratio.sfn', 'ours (busy) / Step Functions', round(busy.total / sfn, 3)),
      figure('s7.whole', `whole reference saga as measured (${whole.steps.length} handled steps), busy / quiet`, `$${round(wholeBusy.total, 2)} / $${round(wholeQuiet.total, 2)}`),
    ],
    notes: [
      `The four-step saga is the reference app's ${four.steps.map((s) => s.scope.replace(/\.forward$/, '')).join(' → ')}, each step as measured in scenario 1 (plus the start); the tracker's cost per event is scenario 1's average. The whole reference saga (with its points TCC try and confirm) is priced the same way in the last row.`,
      `Usage per four-step saga: ${usage.events} events, ${usage.stepWru} WRU + ${usage.stepRru} RRU for the start and the steps, ${usage.trackerWru} WRU + ${usage.trackerRru} RRU for the tracker, ${usage.participantMessages} participant + ${usage.trackerMessages} tracker SQS messages. Capacity is computed from the items on the wire by AWS's rules (transactional writes 2 WRU per started KB per item).`,
      `Prices: EventBridge $${LIST_PRICES.eventBridgePerMillionEvents}/M events; DynamoDB on-demand $${LIST_PRICES.dynamoPerMillionWru}/M WRU, $${LIST_PRICES.dynamoPerMillionRru}/M RRU; Lambda $${LIST_PRICES.lambdaPerMillionRequests}/M requests + $${LIST_PRICES.lambdaPerGbSecond}/GB-s (arm64); SQS $${LIST_PRICES.sqsPerMillionRequests}/M requests; Step Functions Standard $${LIST_PRICES.stepFunctionsPerMillionTransitions}/M transitions. No free tier.`,
      `Assumed, not measured: billed Lambda duration ${QUIET.msPerInvocation} ms per invocation + ${QUIET.msPerRecord} ms per record; memory ${QUIET.participantMemoryMb} MB participants and tracker, ${QUIET.relayMemoryMb} MB relay (the constructs' defaults); batch fill 1 (quiet) or 10/100 (busy).`,
      ...table,
      `Verdict: $${round(busy.total, 2)} (busy) to $${round(quiet.total, 2)} (quiet) per million sagas vs ≈ $${round(sfn, 0)} for Step Functions Standard's transitions alone — ${round(sfn / busy.total, 1)}× to ${round(sfn / quiet.total, 1)}× cheaper. Against the $30 target: ${[['busy', busy.total], ['quiet', quiet.total]].map(([n, t]) => (Number(t) <= 30 ? `${String(n)} met` : `${String(n)} missed by $${round(Number(t) - 30, 2)}`)).join(', ')}.`,
      `Where the money goes: DynamoDB writes. Each step's transaction holds barrier + business item + outbox row, each ≥ 2 WRU (${outboxItems} outbox rows per saga ≈ ${outboxItems * 2} WRU). The tracker costs $${round(busy.total - noTrackerBusy.total, 2)} (busy): a read and a write of the saga record (and its index entry) per event, plus one SQS message and its share of a Lambda invocation per event.`,
      'What would close the gap: (1) keep the emitted events in the step record itself instead of separate outbox rows (the relay reads them from the step record\'s stream image): one item less per transaction, −2 WRU per step; (2) feed the tracker from the table\'s stream (step records) instead of an SQS queue, and write the saga record at start and end only: removes most of the tracker\'s WRU/RRU and all its SQS requests; (3) a batching window on the participant queues fills SQS batches in quiet traffic. (1) + (2) bring the busy figure to roughly the EventBridge + step-transaction floor.',
      'Not included: the reconciler (one scheduled pass a minute reads the due slice of the open-sagas index; scenario 6: tens of items per pass, cents per month), CloudWatch logs and metrics (EMF lines), data transfer, and the business work itself. A compensated saga costs more (more steps and events).',
    ],
    details: { usage, wholeUsage: whole.usage, assumptions: { quiet: QUIET, busy: BUSY }, quiet, busy, whole: { quiet: wholeQuiet, busy: wholeBusy }, withoutTracker: noTrackerBusy, stepFunctions: { transitionsPerSaga: stepCount + 1, dollars: sfn } },
  };
}
