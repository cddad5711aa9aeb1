import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bufferIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
import { sagaKey, stepKey } from '../../lib/core/keys.js';
import { seedDataFor } from '../../lib/local/app.js';
import { LocalCloud } from '../../lib/local/cloud.js';
import { createDocumentClient } from '../../lib/runtime/shared/aws-clients.js';
import { sqsVisibility } from '../../lib/runtime/participant/forward-recovery.js';
import { createParticipantHandler } from '../../lib/runtime/participant/handler.js';
import { InMemoryMetrics } from '../../lib/runtime/shared/ports.js';
import type { StepImplementations } from '../../lib/runtime/participant/step-types.js';
import transferApp from '../fixtures/apps/transfer/app.js';
import { ledgerSteps } from '../fixtures/apps/transfer/ledger.js';
import type { TransferSaga } from '../fixtures/apps/transfer/saga.js';
import { createParticipantQueues, motoSqsClient, pollOnce, queueDepth, type ParticipantQueues } from '../support/sqs-on-moto.js';

/**
 * `saga dlq list`, `saga redrive` and `saga retry` in AWS mode — the SQS and DynamoDB adapters the
 * CLI builds from `AWS_ENDPOINT_URL` — against moto's server (SQS and DynamoDB on one endpoint),
 * for the test suite's user saga (the transfer app, loaded with `--app`). The ledger's real handler
 * consumes its moto queue the way Lambda's event source would, so the DLQ message and its failure
 * record are made by the runtime, not by the test.
 *
 * Where moto (5.x) departs from SQS's documented behaviour:
 * - **StartMessageMoveTask is not implemented**: moto answers HTTP 500 with an HTML page. SQS
 *   documents it as the way to redrive a DLQ (asynchronous; returns a TaskHandle). So `saga
 *   redrive` without `--copy` must fail with a message that says so, and `--copy` is what moves.
 * The receive count `dlq list` shows comes from the failure record the runtime wrote on the last
 * allowed receive, so it does not depend on how an implementation counts receives in the DLQ.
 */
const motoEndpoint = inject('motoEndpoint');
const SKIP = motoEndpoint ? '' : inject('motoSkipReason') || 'no moto endpoint';
if (SKIP) console.warn(`[operator-sqs-moto] SKIPPED: ${SKIP}`);

const APP = 'test/fixtures/apps/transfer/app.ts';
const MAX_RECEIVES = 2;
const bank = { down: true };
const flakyLedger: StepImplementations<TransferSaga, 'ledger'> = {
  credit: {
    forward: (ctx) => {
      if (bank.down) throw new Error('bank API down');
      return ledgerSteps.credit.forward(ctx);
    },
    compensate: ledgerSteps.credit.compensate,
  },
};

describe.skipIf(SKIP !== '')('operator commands on moto SQS (AWS mode, --app transfer)', () => {
  let cloud: LocalCloud<TransferSaga>;
  let sqs: SQSClient;
  let ledger: ParticipantQueues;
  let wallet: ParticipantQueues;
  let sagaId: string;
  let handle: Parameters<typeof pollOnce>[2];
  const saved = { ...process.env };

  /** `saga <argv>` with the registered commands (AWS mode) and the moto connection flags. */
  async function saga_(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const io = bufferIO();
    const flags = ['--app', APP, '--table', cloud.tableName, '--dlq-urls', JSON.stringify({ ledger: ledger.dlqUrl, wallet: wallet.dlqUrl }), '--queue-urls', JSON.stringify({ ledger: ledger.queueUrl, wallet: wallet.queueUrl })];
    const code = await main([...argv, ...flags], io);
    return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  }
  const ledgerQueue = () => ({ url: ledger.queueUrl, arn: ledger.queueArn });

  beforeAll(async () => {
    Object.assign(process.env, { AWS_ENDPOINT_URL: motoEndpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'moto', AWS_SECRET_ACCESS_KEY: 'moto' });
    // The saga runs on the local cloud with its table on moto, until the ledger's message is dead.
    cloud = await LocalCloud.start({ definition: transferApp.definition, participants: { ...transferApp.participants, ledger: flakyLedger }, endpoint: motoEndpoint });
    await transferApp.seed!(seedDataFor(transferApp.definition, cloud.client, cloud.tableName), { sagas: 1, random: () => 0.5 });
    ({ sagaId } = await cloud.startSaga({ transferId: 't-moto', from: 'acct-0', to: 'shop-0', amountCents: 250 }));
    await cloud.runUntilQuiet({ maxVirtualMs: 100_000 });
    const deadBodies = cloud.consumer('ledger').dlq.peekAll().map((m) => m.body);
    expect(deadBodies).toHaveLength(1);

    // The same message on moto: sent to the ledger's queue and consumed by the ledger's handler
    // (still failing) until moto's redrive policy moves it to the DLQ.
    sqs = motoSqsClient(motoEndpoint);
    const prefix = `ops-${Date.now().toString(36)}`;
    ledger = await createParticipantQueues(sqs, prefix, 'ledger', MAX_RECEIVES);
    wallet = await createParticipantQueues(sqs, prefix, 'wallet', MAX_RECEIVES);
    const dynamo = createDocumentClient(new DynamoDBClient({ endpoint: motoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'moto', secretAccessKey: 'moto' } }));
    handle = createParticipantHandler(transferApp.definition, 'ledger', flakyLedger, {
      client: dynamo,
      tableName: cloud.tableName,
      visibility: sqsVisibility(sqs),
      maxReceiveCount: MAX_RECEIVES,
      backoff: { baseSeconds: 0, maxSeconds: 0 },
      logger: { log: () => undefined },
      metrics: new InMemoryMetrics(),
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: ledger.queueUrl, MessageBody: deadBodies[0]! }));
    for (let receive = 1; receive <= MAX_RECEIVES; receive++) expect(await pollOnce(sqs, ledgerQueue(), handle)).toEqual({ received: 1, failed: 1 });
    // The receive after the last allowed one is where SQS (and moto) move the message.
    expect(await pollOnce(sqs, ledgerQueue(), handle)).toEqual({ received: 0, failed: 0 });
    expect(await queueDepth(sqs, ledger.dlqUrl)).toBe(1);
  });

  afterAll(async () => {
    await cloud?.stop();
    process.env = saved;
  });

  it('dlq list reads the moto DLQ and the failure record the ledger runtime wrote', async () => {
    const text = await saga_('dlq', 'list');
    expect(text.err).toBe('');
    expect(text.out).toContain('ledger: 1 message(s) in its DLQ');
    expect(text.out).toContain('wallet: 0 message(s) in its DLQ');
    expect(text.out).toContain('reason: Error: bank API down');

    const json = JSON.parse((await saga_('dlq', 'list', 'ledger', '--json')).out) as { deadLetters: Record<string, unknown>[] };
    expect(json.deadLetters).toEqual([expect.objectContaining({ participant: 'ledger', sagaId, type: 'Debited', reason: 'Error: bank API down', receiveCount: MAX_RECEIVES })]);
    // Listing hides nothing: the message is visible again for a redrive right after.
    expect(await queueDepth(sqs, ledger.dlqUrl)).toBe(1);
  });

  it('redrive: moto has no StartMessageMoveTask, said plainly; --copy moves the message back and the fixed ledger credits', async () => {
    const refused = await saga_('redrive', 'ledger');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('SQS refused StartMessageMoveTask for the ledger DLQ');
    expect(refused.err).toContain('saga redrive ledger --copy');
    expect(await queueDepth(sqs, ledger.dlqUrl)).toBe(1);

    const copied = await saga_('redrive', 'ledger', '--copy');
    expect(copied).toMatchObject({ code: 0, out: 'Moved 1 message(s) from the ledger DLQ back to its queue.' });
    expect(await queueDepth(sqs, ledger.dlqUrl)).toBe(0);
    expect(await queueDepth(sqs, ledger.queueUrl)).toBe(1);

    bank.down = false;
    expect(await pollOnce(sqs, ledgerQueue(), handle)).toEqual({ received: 1, failed: 0 });
    expect(await queueDepth(sqs, ledger.queueUrl)).toBe(0);
    const step = await cloud.client.send(new GetCommand({ TableName: cloud.tableName, Key: stepKey('ledger', sagaId, 'credit'), ConsistentRead: true }));
    expect(step.Item?.state).toBe('done');
  });

  it('retry re-delivers the triggering event from the outbox to the moto queue; the barrier acks the duplicate', async () => {
    const retried = await saga_('retry', sagaId, 'ledger', '--event', 'Debited', '--json');
    expect(retried.code).toBe(0);
    const result = JSON.parse(retried.out) as { eventId: string; messageId: string; type: string };
    expect(result.type).toBe('Debited');
    expect(await queueDepth(sqs, ledger.queueUrl)).toBe(1);

    // The re-delivered body carries the original envelope (same event id): a duplicate, acknowledged.
    const seen: string[] = [];
    const spy: typeof handle = async (event) => {
      for (const r of event.Records) seen.push(String((JSON.parse(r.body) as { detail: { eventId: string } }).detail.eventId));
      return handle(event);
    };
    expect(await pollOnce(sqs, ledgerQueue(), spy)).toEqual({ received: 1, failed: 0 });
    expect(seen).toEqual([result.eventId]);
    expect(await queueDepth(sqs, ledger.queueUrl)).toBe(0);
    const record = await cloud.client.send(new GetCommand({ TableName: cloud.tableName, Key: sagaKey(sagaId), ConsistentRead: true }));
    expect((record.Item?.notes as { action: string }[] | undefined)?.map((n) => n.action)).toContain('retry');
  });
});
