import { Annotations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { sourcePrefixFor, type AnySagaDefinition } from '../core/index.js';

/** Sid of the bus policy statement (CDK prefixes `cdk-`). */
export const SAGA_SOURCES_STATEMENT_SID = 'OnlyTheRelayPublishesSagaEvents';

/**
 * The bus policy statement that keeps the saga's event sources to its publishers: it denies
 * `events:PutEvents` with a source under `saga.<name>.` to every principal except `publisherArns`.
 *
 * A Deny, because identity policies already allow within the account: an Allow in the bus policy
 * would add nothing, while a Deny overrides any `events:PutEvents` on `*` a role of the account
 * holds. Sagas are started through the outbox (`grantStart` lets a principal write `initiator#`
 * rows, which the relay publishes), so the relay's role is the only publisher the framework needs.
 *
 * @example
 * ```ts
 * // A bus created elsewhere (`eventBus` prop): apply the same statement there.
 * sharedBus.addToResourcePolicy(sagaSourcesStatement(orderSaga, sharedBus.eventBusArn, [choreography.relay.function.role!.roleArn]));
 * ```
 */
export function sagaSourcesStatement(def: Pick<AnySagaDefinition, 'name'>, eventBusArn: string, publisherArns: readonly string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: SAGA_SOURCES_STATEMENT_SID,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['events:PutEvents'],
    resources: [eventBusArn],
    conditions: {
      StringLike: { 'events:source': [`${sourcePrefixFor(def)}*`] },
      ArnNotEquals: { 'aws:PrincipalArn': [...publisherArns] },
    },
  });
}

/**
 * Adds {@link sagaSourcesStatement} to the bus when this app owns it (`events.EventBus`); an
 * imported bus's policy cannot be changed from here, so the construct says so at synth instead.
 */
export function restrictSagaSources(scope: IConstruct, bus: events.IEventBus, def: Pick<AnySagaDefinition, 'name'>, publisherArns: readonly string[]): void {
  if (bus instanceof events.EventBus) {
    bus.addToResourcePolicy(sagaSourcesStatement(def, bus.eventBusArn, publisherArns));
    return;
  }
  Annotations.of(scope).addInfo(
    `The event bus ${bus.node.path} is imported: its resource policy was not changed. Add sagaSourcesStatement(definition, busArn, [relay role ARN]) ` +
      `to it where it is defined, so that no other principal can publish events with the saga's sources (${sourcePrefixFor(def)}*).`,
  );
}
