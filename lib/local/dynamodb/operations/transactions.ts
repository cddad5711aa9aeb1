import { createHash } from 'node:crypto';
import { cloneItem } from '../clone.js';
import { DynamoDbError, validation } from '../errors.js';
import type { EngineState } from '../state.js';
import type { OperationInput, OperationOutput } from '../types.js';
import { itemSize } from '../values.js';
import { commit, getItem, prepareConditionCheck, prepareDelete, preparePut, prepareUpdate, type PreparedWrite } from './items.js';

const MAX_ACTIONS = 100;
const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;
/** ClientRequestToken makes a TransactWriteItems call idempotent for 10 minutes. */
const TOKEN_WINDOW_MS = 10 * 60_000;

function actionsOf(input: OperationInput): Record<string, Record<string, unknown>>[] {
  const actions = input.TransactItems;
  if (!Array.isArray(actions)) throw validation("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null");
  if (actions.length === 0 || actions.length > MAX_ACTIONS) {
    throw validation(
      `1 validation error detected: Value '[…${actions.length} items]' at 'transactItems' failed to satisfy constraint: Member must have length ${actions.length === 0 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ACTIONS}`}`,
    );
  }
  return actions as Record<string, Record<string, unknown>>[];
}

/** A stable fingerprint of the request, binary included, for ClientRequestToken idempotency. */
function fingerprint(actions: unknown): string {
  const text = JSON.stringify(actions, (_k, v: unknown) => (v instanceof Uint8Array ? `b64:${Buffer.from(v).toString('base64')}` : v));
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Drops tokens older than the window. The map holds them in the order they were stored, so the
 * expired ones are at its front: stop at the first live one. (Scanning every token on every
 * transaction made a run quadratic: a 1,000-saga run keeps ≈ 6,500 tokens in its window.)
 */
function forgetExpiredTokens(state: EngineState, now: number): void {
  for (const [token, seen] of state.transactionTokens) {
    if (now - seen.at <= TOKEN_WINDOW_MS) return;
    state.transactionTokens.delete(token);
  }
}

/**
 * TransactWriteItems: every action prepared against the same snapshot, all conditions checked,
 * then all applied — or none, with one cancellation reason per action in request order.
 */
export function transactWriteItems(state: EngineState, input: OperationInput): OperationOutput {
  const actions = actionsOf(input);
  const now = state.now();
  const token = input.ClientRequestToken;
  let print: string | undefined;
  if (token !== undefined) {
    if (typeof token !== 'string' || token.length < 1 || token.length > 36) {
      throw validation(`1 validation error detected: Value '${String(token)}' at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36`);
    }
    forgetExpiredTokens(state, now);
    print = fingerprint(actions);
    const seen = state.transactionTokens.get(token);
    // Checked here too: a clock that stepped back can leave an expired token behind a live one.
    if (seen && now - seen.at <= TOKEN_WINDOW_MS) {
      if (seen.fingerprint !== print) throw new DynamoDbError('IdempotentParameterMismatchException', 'The request uses the same client token as a previous, but non-identical request.');
      return {};
    }
  }
  const writes: PreparedWrite[] = [];
  const seenItems = new Set<string>();
  let bytes = 0;
  for (const action of actions) {
    const kinds = ['Put', 'Update', 'Delete', 'ConditionCheck'].filter((k) => action[k] !== undefined);
    if (kinds.length !== 1) throw validation('TransactItems can only contain one of Check, Put, Update or Delete');
    const kind = kinds[0]!;
    const body = action[kind]!;
    const write = kind === 'Put' ? preparePut(state, body) : kind === 'Update' ? prepareUpdate(state, body) : kind === 'Delete' ? prepareDelete(state, body) : prepareConditionCheck(state, body);
    const id = `${write.table.name}\u0000${write.table.encodedKey(write.key)}`;
    if (seenItems.has(id)) throw validation('Transaction request cannot include multiple operations on one item');
    seenItems.add(id);
    bytes += write.next ? itemSize(write.next) : itemSize(write.key);
    writes.push(write);
  }
  if (bytes > MAX_TRANSACTION_BYTES) throw validation('Transaction request size exceeds the maximum allowed size of 4 MB');
  if (writes.some((w) => !w.conditionPassed || w.error)) {
    const reasons = writes.map((w) => {
      if (!w.conditionPassed) {
        return { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(w.returnOnFailure === 'ALL_OLD' && w.previous ? { Item: cloneItem(w.previous) } : {}) };
      }
      if (w.error) return { Code: 'ValidationError', Message: w.error.message };
      return { Code: 'None' };
    });
    throw new DynamoDbError('TransactionCanceledException', `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`, { CancellationReasons: reasons });
  }
  for (const write of writes) commit(state, write);
  if (token !== undefined) {
    // Re-inserted, not updated in place, so the map stays in the order tokens were (last) stored.
    state.transactionTokens.delete(token as string);
    state.transactionTokens.set(token as string, { fingerprint: print!, at: now });
  }
  return {};
}

/** TransactGetItems: up to 100 Gets read from one snapshot (the engine is serial, so any moment is one). */
export function transactGetItems(state: EngineState, input: OperationInput): OperationOutput {
  const actions = actionsOf(input);
  const responses = actions.map((action) => {
    if (!action.Get || Object.keys(action).length !== 1) throw validation('TransactItems can only contain Get actions in TransactGetItems');
    const out = getItem(state, action.Get);
    return out.Item ? { Item: out.Item } : {};
  });
  return { Responses: responses };
}
