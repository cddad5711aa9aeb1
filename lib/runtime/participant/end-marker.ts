import { sagaKey } from '../../core/keys.js';
import type { Reaction } from '../../core/model.js';

/**
 * The saga-level end marker every forward step checks in its own transaction: the saga record
 * says the saga ended — `completed` or `compensated` (the tracker saw its terminal event), or timed
 * out (the reconciler set `timeoutPublishedAt` in the same write that committed `SagaTimedOut`).
 * Then no forward step of it commits any more, compensable or not: a late delivery that the
 * verifier could not see (a step retried past the deadline, an event redelivered after the end)
 * is refused instead of taking effect in a saga whose outcome is decided. A saga without a record
 * yet (the tracker has not seen its start) is open.
 *
 * It is a `ConditionCheck` on the saga record appended to the step's `TransactWriteItems` — no
 * extra round trip. `mustSucceed` steps are exempt: they are forward recovery after the pivot,
 * which must finish whatever the clock says (the verifier keeps them out of compensable paths).
 * Other steps that can only run after a pivot succeeded (`afterPivot`, `postPivotSteps` in
 * lib/core/model.ts) are refused only once the saga is compensated.
 */
export function endMarkerCheck(tableName: string, sagaId: string, afterPivot = false) {
  // Past the pivot the saga only moves forward: a timeout (ignored by the pivot) or a completion by
  // a parallel branch must not strand the rest; only a compensated saga refuses it.
  if (afterPivot) {
    return {
      ConditionCheck: {
        TableName: tableName,
        Key: sagaKey(sagaId),
        ConditionExpression: 'attribute_not_exists(pk) OR #status <> :compensated',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':compensated': 'compensated' },
      },
    };
  }
  return {
    ConditionCheck: {
      TableName: tableName,
      Key: sagaKey(sagaId),
      ConditionExpression: 'attribute_not_exists(pk) OR (NOT (#status IN (:completed, :compensated)) AND attribute_not_exists(timeoutPublishedAt))',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':completed': 'completed', ':compensated': 'compensated' },
    },
  };
}

/** Whether a reaction's commit carries the end marker check: every forward step but must-succeed ones. */
export const checksEndMarker = (reaction: Reaction): boolean => reaction.phase === 'forward' && reaction.spec.mustSucceed !== true;
