/**
 * Dollars per million sagas from counted usage and AWS list prices (us-east-1, on-demand, no free
 * tier). Pure arithmetic, unit-tested in test/bench/cost-model.test.ts.
 */

export interface Prices {
  /** EventBridge custom events, per million (each 64 KB chunk of an entry counts as one). */
  readonly eventBridgePerMillionEvents: number;
  readonly dynamoPerMillionWru: number;
  readonly dynamoPerMillionRru: number;
  readonly lambdaPerMillionRequests: number;
  /** arm64 price per GB-second. */
  readonly lambdaPerGbSecond: number;
  /** SQS standard queue requests, per million (each 64 KB chunk counts as one). */
  readonly sqsPerMillionRequests: number;
  readonly stepFunctionsPerMillionTransitions: number;
}

export const LIST_PRICES: Prices = {
  eventBridgePerMillionEvents: 1,
  dynamoPerMillionWru: 0.625,
  dynamoPerMillionRru: 0.125,
  lambdaPerMillionRequests: 0.2,
  lambdaPerGbSecond: 0.0000133334,
  sqsPerMillionRequests: 0.4,
  stepFunctionsPerMillionTransitions: 25,
};

/** What one saga uses, as counted by scenario 1. */
export interface SagaUsage {
  /** Events published (PutEvents entries; all under 64 KB). */
  readonly events: number;
  /** Write/read request units of the initiator and the participants' steps (barrier, business, outbox). */
  readonly stepWru: number;
  readonly stepRru: number;
  /** Write/read request units of the tracker (saga record, open-sagas index). */
  readonly trackerWru: number;
  readonly trackerRru: number;
  /** SQS messages delivered to participants and to the tracker. */
  readonly participantMessages: number;
  readonly trackerMessages: number;
}

/** How traffic is batched and what an invocation costs; these are assumptions, not measurements. */
export interface Assumptions {
  readonly name: string;
  /** Messages per SQS-triggered invocation (1 = quiet traffic, 10 = busy queues). */
  readonly sqsBatch: number;
  /** Outbox rows per relay invocation (stream batch). */
  readonly relayBatch: number;
  /** Billed duration: fixed part per invocation + part per record. */
  readonly msPerInvocation: number;
  readonly msPerRecord: number;
  readonly participantMemoryMb: number;
  readonly trackerMemoryMb: number;
  readonly relayMemoryMb: number;
}

export interface CostLine {
  readonly component: string;
  readonly detail: string;
  /** Dollars per million sagas. */
  readonly dollars: number;
}

const perMillion = (unitsPerSaga: number, pricePerMillion: number) => unitsPerSaga * pricePerMillion;

function lambda(invocations: number, records: number, memoryMb: number, a: Assumptions, p: Prices): { dollars: number; gbSeconds: number } {
  const seconds = (invocations * a.msPerInvocation + records * a.msPerRecord) / 1000;
  const gbSeconds = seconds * (memoryMb / 1024);
  return { dollars: perMillion(invocations, p.lambdaPerMillionRequests) + gbSeconds * 1e6 * p.lambdaPerGbSecond, gbSeconds };
}

/**
 * Cost of one million sagas, line by line. SQS requests per message: one SendMessage (the
 * EventBridge target sends each event on its own), and one ReceiveMessage and one
 * DeleteMessageBatch per batch.
 */
export function costPerMillionSagas(u: SagaUsage, a: Assumptions, p: Prices = LIST_PRICES): { lines: CostLine[]; total: number } {
  if (a.sqsBatch < 1 || a.sqsBatch > 10) throw new RangeError(`sqsBatch must be 1..10 (an SQS receive returns at most 10), got ${a.sqsBatch}.`);
  if (a.relayBatch < 1) throw new RangeError(`relayBatch must be ≥ 1, got ${a.relayBatch}.`);
  const participantInv = u.participantMessages / a.sqsBatch;
  const trackerInv = u.trackerMessages / a.sqsBatch;
  const relayInv = u.events / a.relayBatch;
  const putEventsCalls = Math.ceil(a.relayBatch / 10) / a.relayBatch * u.events;
  const messages = u.participantMessages + u.trackerMessages;
  const sqsRequests = messages + 2 * (messages / a.sqsBatch);
  const lp = lambda(participantInv, u.participantMessages, a.participantMemoryMb, a, p);
  const lt = lambda(trackerInv, u.trackerMessages, a.trackerMemoryMb, a, p);
  const lr = lambda(relayInv, u.events, a.relayMemoryMb, a, p);
  const r = (n: number) => Math.round(n * 100) / 100;
  const lines: CostLine[] = [
    { component: 'DynamoDB writes, steps', detail: `${u.stepWru} WRU/saga (transactional: 2 per KB per item; barrier + business + outbox, start)`, dollars: perMillion(u.stepWru, p.dynamoPerMillionWru) },
    { component: 'DynamoDB reads, steps', detail: `${u.stepRru} RRU/saga (business reads)`, dollars: perMillion(u.stepRru, p.dynamoPerMillionRru) },
    { component: 'DynamoDB writes, tracker', detail: `${u.trackerWru} WRU/saga (saga record per event + open-sagas index)`, dollars: perMillion(u.trackerWru, p.dynamoPerMillionWru) },
    { component: 'DynamoDB reads, tracker', detail: `${u.trackerRru} RRU/saga (read before each write)`, dollars: perMillion(u.trackerRru, p.dynamoPerMillionRru) },
    { component: 'EventBridge', detail: `${u.events} events/saga (${r(putEventsCalls)} PutEvents calls; events, not calls, are billed)`, dollars: perMillion(u.events, p.eventBridgePerMillionEvents) },
    { component: 'SQS', detail: `${messages} messages/saga → ${r(sqsRequests)} requests (send each; receive + delete per batch of ${a.sqsBatch})`, dollars: perMillion(sqsRequests, p.sqsPerMillionRequests) },
    { component: 'Lambda, participants', detail: `${r(participantInv)} invocations, ${r(lp.gbSeconds)} GB-s/saga at ${a.participantMemoryMb} MB`, dollars: lp.dollars },
    { component: 'Lambda, tracker', detail: `${r(trackerInv)} invocations, ${r(lt.gbSeconds)} GB-s/saga at ${a.trackerMemoryMb} MB`, dollars: lt.dollars },
    { component: 'Lambda, relay', detail: `${r(relayInv)} invocations, ${r(lr.gbSeconds)} GB-s/saga at ${a.relayMemoryMb} MB`, dollars: lr.dollars },
    { component: 'DynamoDB Streams', detail: 'GetRecords by a Lambda trigger are free', dollars: 0 },
  ];
  return { lines, total: lines.reduce((s, l) => s + l.dollars, 0) };
}

/** Step Functions Standard for the same saga: state transitions only (its task Lambdas and DynamoDB writes come on top). */
export function stepFunctionsPerMillionSagas(transitionsPerSaga: number, p: Prices = LIST_PRICES): number {
  return perMillion(transitionsPerSaga, p.stepFunctionsPerMillionTransitions);
}

/** The usage with the tracker's share replaced (what-if lines in the docs). */
export function withoutTracker(u: SagaUsage): SagaUsage {
  return { ...u, trackerWru: 0, trackerRru: 0, trackerMessages: 0 };
}
