import type * as events from 'aws-cdk-lib/aws-events';
import { SagaConstructError } from './errors.js';

/** EventBridge pattern field → property of CDK's `EventPattern` (only `detail-type` differs in spelling). */
const FIELDS: Readonly<Record<string, keyof events.EventPattern>> = {
  version: 'version',
  id: 'id',
  'detail-type': 'detailType',
  source: 'source',
  account: 'account',
  time: 'time',
  region: 'region',
  resources: 'resources',
  detail: 'detail',
};

/**
 * Turns a raw EventBridge pattern (as `subscriptionPattern` in lib/core produces it) into CDK's
 * `EventPattern`, which renders back to the same JSON. Fails on a top-level field EventBridge
 * does not have, instead of dropping it silently.
 */
export function toEventPattern(pattern: Readonly<Record<string, unknown>>): events.EventPattern {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(pattern)) {
    const key = FIELDS[field];
    if (!key) {
      throw new SagaConstructError(
        `Event pattern field ${JSON.stringify(field)} is not an EventBridge envelope field. Allowed: ${Object.keys(FIELDS).join(', ')}.`,
        { field },
      );
    }
    out[key] = value;
  }
  return out as events.EventPattern;
}
