/** Shared builders for the pattern-matcher tables: real-looking EventBridge events. */

/** One row of a matching table. `expected` comes from the AWS docs' stated semantics, not from the implementation. */
export interface MatchCase {
  readonly name: string;
  readonly pattern: unknown;
  readonly event: unknown;
  readonly expected: boolean;
}

/** Envelope of a custom application event as delivered by EventBridge. */
export const ORDER_ENVELOPE = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'Order Placed',
  source: 'com.example.orders',
  account: '123456789012',
  time: '2024-03-15T10:20:30Z',
  region: 'eu-west-1',
  resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/orders'],
} as const;

/** An order event with the given detail; `envelope` overrides top-level fields. */
export function orderEvent(detail: Record<string, unknown>, envelope: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...ORDER_ENVELOPE, ...envelope, detail };
}

/** The EC2 state-change event used throughout the AWS docs. */
export function ec2Event(detail: Record<string, unknown>, envelope: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '012345679012',
    time: '2017-10-02T16:24:49Z',
    region: 'us-east-1',
    resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
    ...envelope,
    detail,
  };
}
