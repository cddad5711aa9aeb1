import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { SQSEvent } from 'aws-lambda';
import { reactionsTo } from '../../lib/core/model.js';
import { LocalCloud, TRACKER } from '../../lib/local/cloud.js';
import { orderSaga, referenceParticipants } from '../../lib/cli/reference-app.js';
import { attachToEveryInstance, CallCounter, type AttachOptions } from './count-calls.js';

/** One consumer invocation as the probe saw it. */
export interface Invocation {
  readonly consumer: string;
  readonly scope: string;
  readonly records: number;
}

/** Scope names for calls made outside a consumer. */
export const SCOPE = {
  harness: 'harness',
  initiator: 'initiator.start',
  /** Relay (PutEvents), stream poller and the local cloud's own bookkeeping queries. */
  cloud: 'local-cloud',
} as const;

/**
 * A local cloud running the reference app with every SDK call counted: the document client and the
 * EventBridge client through middleware, the (private) DynamoDB Streams client through
 * {@link attachToEveryInstance}. Each consumer invocation runs in a scope named after the step it
 * serves (`order.createOrder.forward`), so calls are attributed per step.
 */
export class CountedCloud {
  readonly invocations: Invocation[] = [];

  private constructor(
    readonly cloud: LocalCloud<typeof orderSaga>,
    readonly counter: CallCounter,
    private readonly restoreStreams: () => void,
  ) {}

  static async start(endpoint: string, options: AttachOptions & { readonly seed?: number } = {}): Promise<CountedCloud> {
    const counter = new CallCounter();
    counter.defaultScope = SCOPE.cloud;
    const restoreStreams = attachToEveryInstance(DynamoDBStreamsClient, counter, 'dynamodb-streams', options);
    try {
      const cloud = await LocalCloud.start({ definition: orderSaga, participants: referenceParticipants, endpoint, seed: options.seed ?? 1 });
      counter.attach(cloud.client as never, 'dynamodb', options);
      counter.attach(cloud.eventBridge as never, 'eventbridge', options);
      const probe = new CountedCloud(cloud, counter, restoreStreams);
      probe.scopeConsumers();
      return probe;
    } catch (error) {
      restoreStreams();
      throw error;
    }
  }

  /** Wraps each consumer's handler so its calls are attributed to the step it runs. */
  private scopeConsumers(): void {
    for (const [name, wiring] of this.cloud.consumers) {
      const handler = wiring.handler;
      const scoped = (event: SQSEvent) => {
        const scope = name === TRACKER ? 'tracker' : stepScope(name, event);
        this.invocations.push({ consumer: name, scope, records: event.Records.length });
        return this.counter.withScope(scope, () => handler(event));
      };
      this.cloud.consumers.set(name, { ...wiring, handler: scoped });
    }
  }

  async stop(): Promise<void> {
    this.restoreStreams();
    await this.cloud.stop();
  }
}

/** `participant.step.phase` of the (first) record of a batch. */
function stepScope(participant: string, event: SQSEvent): string {
  const types = new Set<string>();
  for (const r of event.Records) {
    try {
      types.add(String((JSON.parse(r.body) as Record<string, unknown>)['detail-type']));
    } catch {
      types.add('?');
    }
  }
  const scopes = [...types].map((t) => {
    const reaction = reactionsTo(orderSaga, participant, t)[0];
    return reaction ? `${participant}.${reaction.step}.${reaction.phase}` : `${participant}.${t}`;
  });
  return scopes.join('+');
}
