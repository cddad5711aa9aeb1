import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag findings that the framework's design makes inapplicable, with the reason. The
 * constructs acknowledge them on the exact resources they concern (never stack-wide), so a
 * user's own resources are still checked. docs/deploy.md lists them; tests assert nothing else
 * is reported. Acknowledging uses aws-cdk-lib's `Validations`; the constructs do not depend on cdk-nag.
 */
export const ACKNOWLEDGEMENTS = {
  xrayWildcard: {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'This policy holds only xray:PutTraceSegments and xray:PutTelemetryRecords on Resource "*": X-Ray does not support resource-level permissions, and both only write trace data. ' +
      "Acknowledged on this policy alone, so a wildcard added to the role's other policies is still reported.",
  },
  listStreamsWildcard: {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'This policy holds only dynamodb:ListStreams on Resource "*": the action supports no resource-level permission, Lambda requires it for a DynamoDB stream event source mapping, ' +
      'and it returns stream ARNs only (no records, no items). Every other stream action names the stream.',
  },
  deadLetterQueueHasNoRedrive: {
    id: 'Serverless-SQSRedrivePolicy',
    reason: 'This queue is itself a dead-letter queue (terminal, 14 days retention, alarmed); a DLQ of a DLQ would only move the problem.',
  },
  failureDestinationIsADlq: {
    id: 'AwsSolutions-SQS3',
    reason: "This queue is the on-failure destination of the relay's stream event source mapping, i.e. the relay's dead-letter queue; it is alarmed.",
  },
  noAsyncInvocations: {
    id: 'Serverless-LambdaDLQ',
    reason:
      'The function is invoked only synchronously by an event source mapping (SQS or DynamoDB stream), so an async-invocation DLQ would never receive anything; ' +
      "failed messages go to the source queue's DLQ (redrive policy) or the stream mapping's on-failure queue.",
  },
  sqsMappingUsesRedrive: {
    id: 'Serverless-LambdaEventSourceMappingDestination',
    reason:
      'SQS event source mappings do not support on-failure destinations; failed messages reach the DLQ through the queue redrive policy (maxReceiveCount), which every consumer queue has.',
  },
} as const satisfies Record<string, { id: string; reason: string }>;

export type AcknowledgementName = keyof typeof ACKNOWLEDGEMENTS;

/** Records the named acknowledgements on `scope` (applies to it and its children). */
export function acknowledge(scope: IConstruct, ...names: AcknowledgementName[]): void {
  for (const name of names) Validations.of(scope).acknowledge({ ...ACKNOWLEDGEMENTS[name] });
}
