import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AnySagaDefinition } from '../../core/definition.js';
import { ITEM_KIND, KEY, openShards, reconcilerCheckKey, reconcilerReportKey } from '../../core/keys.js';
import { DAY_SECONDS } from '../shared/outbox.js';
import { METRIC, type Logger, type Metrics } from '../shared/ports.js';
import { isConditionFailure, type ReconcilerStore } from './store.js';
import type { CheckContext, CheckResult, ReconcileRunResult, ReconciliationCheck } from './types.js';

/** Reports are kept two weeks. */
export const REPORT_TTL_DAYS = 14;
/** A check without `everyMs` runs at most this often, so overlapping reconciler runs run it once. */
export const DEFAULT_CHECK_EVERY_MS = 30_000;

interface ChecksInput {
  readonly def: AnySagaDefinition;
  readonly store: ReconcilerStore;
  readonly checks: readonly ReconciliationCheck[];
  readonly now: number;
  readonly runId: string;
  readonly autoRepair: boolean;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * Claims a check for this run: a conditional update of `reconciler#check/<name>` that succeeds for
 * one run per `everyMs`, so two overlapping reconcilers never run (and repair) a check twice.
 */
async function claim(input: ChecksInput, check: ReconciliationCheck): Promise<boolean> {
  const every = check.everyMs ?? DEFAULT_CHECK_EVERY_MS;
  try {
    await input.store.client.send(
      new UpdateCommand({
        TableName: input.store.tableName,
        Key: reconcilerCheckKey(check.name),
        UpdateExpression: 'SET lastRunAt = :now, lastRunId = :run',
        ConditionExpression: 'attribute_not_exists(lastRunAt) OR lastRunAt <= :due',
        ExpressionAttributeValues: { ':now': new Date(input.now).toISOString(), ':run': input.runId, ':due': new Date(input.now - every).toISOString() },
      }),
    );
    input.store.stats.writes++;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Runs the registered checks that are due; repairs what they found when allowed. */
export async function runChecks(input: ChecksInput): Promise<CheckResult[]> {
  const { store, logger, metrics } = input;
  const ctx: CheckContext = {
    def: input.def,
    client: store.client,
    tableName: store.tableName,
    now: new Date(input.now),
    logger,
    openSagaCount: () => countOpen(input),
  };
  const results: CheckResult[] = [];
  for (const check of input.checks) {
    if (!(await claim(input, check))) {
      results.push({ name: check.name, skipped: 'not due (ran recently, maybe in another reconciler run)', discrepancies: [] });
      continue;
    }
    try {
      const found = await check.run(ctx);
      const repairAllowed = input.autoRepair || check.autoRepair === true;
      const discrepancies: CheckResult['discrepancies'][number][] = [];
      for (const d of found) {
        const base = { subject: d.subject, message: d.message, ...(d.expected !== undefined ? { expected: d.expected } : {}), ...(d.actual !== undefined ? { actual: d.actual } : {}) };
        if (!d.repair || !repairAllowed) {
          discrepancies.push(base);
          continue;
        }
        try {
          const note = await d.repair();
          store.stats.repairs++;
          metrics.count(METRIC.repairs, 1, { Check: check.name });
          discrepancies.push({ ...base, repaired: note ? note : true });
        } catch (error) {
          discrepancies.push({ ...base, repairError: (error as Error).message });
        }
      }
      store.stats.discrepancies += discrepancies.length;
      metrics.count(METRIC.discrepancies, discrepancies.length, { Check: check.name });
      if (discrepancies.length) logger.log('warn', 'reconciliation check found discrepancies', { check: check.name, count: discrepancies.length, first: discrepancies[0] });
      results.push({ name: check.name, discrepancies });
    } catch (error) {
      metrics.count(METRIC.checkErrors, 1, { Check: check.name });
      logger.log('error', 'reconciliation check failed', { check: check.name, error: (error as Error).message });
      results.push({ name: check.name, error: (error as Error).message, discrepancies: [] });
    }
  }
  return results;
}

async function countOpen(input: ChecksInput): Promise<number> {
  let count = 0;
  for (const shard of openShards()) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await input.store.client.send(
        new QueryCommand({
          TableName: input.store.tableName,
          IndexName: KEY.openIndex,
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': KEY.openPartition },
          ExpressionAttributeValues: { ':s': shard },
          Select: 'COUNT',
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      count += out.Count ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
  }
  return count;
}

/** Writes the run's report record (`reconciler#report` / `<runId>`). */
export async function writeReport(store: ReconcilerStore, result: ReconcileRunResult, now: number): Promise<void> {
  await store.client.send(
    new PutCommand({
      TableName: store.tableName,
      Item: {
        ...reconcilerReportKey(result.runId),
        [KEY.kind]: ITEM_KIND.report,
        ...result,
        // Keep the report well under the item limit: a run that touched thousands of sagas lists the first 200.
        actions: result.actions.slice(0, 200),
        actionCount: result.actions.length,
        [KEY.ttl]: Math.floor(now / 1000) + REPORT_TTL_DAYS * DAY_SECONDS,
      },
    }),
  );
}
