/**
 * The CDK app that deploys the reference order saga (DESIGN §5): one env-agnostic stack,
 * `SagaReference`, checked by cdk-nag's AwsSolutions and Serverless packs at synth.
 *
 *   npx cdk synth            # offline, no credentials
 *   npx tsx bin/app.ts       # the same synthesis without the CLI (writes ./cdk.out)
 *   npx cdk deploy SagaReference
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, App, CfnOutput, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { orderSaga } from '../functions/order/definition.js';
import { participantNames } from '../lib/core/index.js';
import { Choreography } from '../lib/constructs/index.js';
import { SagaNotifier } from '../lib/constructs/notifier.js';
import { SagaOutcomeApi } from '../lib/constructs/outcome-api.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Lambda entries of the reference app, relative to the repository root: the framework's functions
 * and one `functions/order/<participant>.ts` per participant of the definition.
 */
export const REFERENCE_ENTRIES: Readonly<Record<string, string>> = {
  relay: 'functions/relay.ts',
  tracker: 'functions/tracker.ts',
  reconciler: 'functions/reconciler.ts',
  notifier: 'functions/notifier.ts',
  outcomeApi: 'functions/outcome-api.ts',
  ...Object.fromEntries(participantNames(orderSaga).map((p) => [p, `functions/order/${p}.ts`])),
};

export type ReferenceEntry = 'relay' | 'tracker' | 'reconciler' | 'notifier' | 'outcomeApi' | ReturnType<typeof participantNames>[number];

export interface SagaReferenceStackProps extends StackProps {
  /** Override entry files (tests use stand-ins). @default REFERENCE_ENTRIES under the repository root */
  readonly entries?: Partial<Record<ReferenceEntry, string>>;
  /**
   * HTTPS URL the merchant's outcome notifications are POSTed to (best effort, DESIGN's 最大努力通知):
   * with one, the stack adds a `SagaNotifier`. `npx cdk deploy -c merchantWebhookUrl=https://…`.
   * @default the CDK context value `merchantWebhookUrl`; without either, no notifier is deployed
   */
  readonly merchantWebhookUrl?: string;
  /**
   * Name of an existing Secrets Manager secret whose value signs each notification (`x-saga-signature`).
   * @default the CDK context value `merchantSigningSecretName`; without either, the stack creates one (output `MerchantSigningSecretArn`)
   */
  readonly merchantSigningSecretName?: string;
  /**
   * Name of an existing Secrets Manager secret holding the merchant's outcome-API key.
   * @default the CDK context value `merchantApiKeySecretName`; without either, the stack creates one (output `MerchantApiKeySecretArn`)
   */
  readonly merchantApiKeySecretName?: string;
}

/** The reference app's one receiver: its notifier endpoint id and outcome-API key id; orders name it at start (`receivers: ['merchant']`). */
export const REFERENCE_RECEIVER = 'merchant';

/**
 * Why the secrets the reference stack creates have no rotation schedule (cdk-nag AwsSolutions-SMG4),
 * recorded on those secrets only.
 */
export const SHARED_SECRET_ROTATION_ACKNOWLEDGEMENT = {
  id: 'AwsSolutions-SMG4',
  reason:
    'A webhook signing secret and an API key are shared with the merchant, so no rotation Lambda can change them alone: the operator rotates them ' +
    'together with the merchant (put-secret-value), and the functions pick the new value up within their cache age, with no deploy (docs/deploy.md).',
} as const;

/**
 * The order saga: choreography (bus, table, relay, tracker, reconciler), its participants, an
 * alarm topic, the outcome query API for the merchant (its key in Secrets Manager), and — given a
 * merchant webhook URL — the merchant's best-effort notifier, signing with a secret it reads at run time.
 */
export class SagaReferenceStack extends Stack {
  readonly choreography: Choreography;
  readonly alarmTopic: sns.Topic;
  /** @default undefined without a merchant webhook URL */
  readonly merchantNotifier?: SagaNotifier;
  /** The outcome query API (function URL, IAM auth + per-receiver signed requests). */
  readonly outcomeApi: SagaOutcomeApi;

  constructor(scope: Construct, id: string, props: SagaReferenceStackProps = {}) {
    super(scope, id, { description: 'saga-choreography reference app: the order saga (inventory -> order -> payment)', ...props });
    const entry = (name: ReferenceEntry): string => props.entries?.[name] ?? join(REPO_ROOT, REFERENCE_ENTRIES[name] ?? `functions/order/${name}.ts`);

    // CloudWatch alarms can publish to an encrypted topic only with a customer-managed key whose
    // policy lets CloudWatch use it (the AWS-managed aws/sns key cannot be shared with it).
    const alarmKey = new kms.Key(this, 'AlarmTopicKey', { enableKeyRotation: true, description: 'Encrypts the order saga alarm topic' });
    alarmKey.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarmTopic = new sns.Topic(this, 'Alarms', { masterKey: alarmKey, enforceSSL: true, displayName: 'order saga alarms' });

    this.choreography = new Choreography(this, 'OrderSaga', {
      definition: orderSaga,
      alarmTopic: this.alarmTopic,
      relayEntry: entry('relay'),
      trackerEntry: entry('tracker'),
      reconcilerEntry: entry('reconciler'),
    });
    // functions/reconciler.ts registers the order-stock reconciliation check (对账), which compares
    // inventory and order items across participants: it needs a read-only view of the whole table.
    this.choreography.reconciler.grantCheckReads();
    for (const participant of participantNames(orderSaga)) {
      this.choreography.addParticipant(participant, {
        entry: entry(participant),
        projectRoot: REPO_ROOT,
        depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      });
    }
    const lambdaBuild = { projectRoot: REPO_ROOT, depsLockFilePath: join(REPO_ROOT, 'package-lock.json') };
    // The merchant's outcome-API key: a secret named by context, else one created here.
    const apiKeySecret = this.merchantSecret('MerchantApiKey', props.merchantApiKeySecretName ?? contextString(this, 'merchantApiKeySecretName'), "the merchant's key for the order saga's outcome query API");
    this.outcomeApi = new SagaOutcomeApi(this, 'OutcomeApi', { choreography: this.choreography, keys: { [REFERENCE_RECEIVER]: apiKeySecret }, entry: entry('outcomeApi'), ...lambdaBuild });
    new CfnOutput(this, 'OutcomeApiUrl', { value: this.outcomeApi.url.url, description: 'Outcome query API: GET <url>sagas/{sagaId}, SigV4 + SAGA-HMAC-SHA256 signed (docs/deploy.md)' });
    new CfnOutput(this, 'MerchantApiKeySecretArn', { value: apiKeySecret.secretArn, description: "Secret holding the merchant's outcome-API key (share it with the merchant)" });

    const webhook = props.merchantWebhookUrl ?? contextString(this, 'merchantWebhookUrl');
    if (webhook) {
      const signingSecret = this.merchantSecret('MerchantSigningSecret', props.merchantSigningSecretName ?? contextString(this, 'merchantSigningSecretName'), "signs the order saga's outcome notifications to the merchant");
      this.merchantNotifier = new SagaNotifier(this, 'MerchantNotifier', {
        choreography: this.choreography,
        endpoints: [{ id: REFERENCE_RECEIVER, url: webhook, signingSecret }],
        entry: entry('notifier'),
        ...lambdaBuild,
      });
      new CfnOutput(this, 'MerchantSigningSecretArn', { value: signingSecret.secretArn, description: 'Secret whose value signs each notification (x-saga-signature; share it with the merchant)' });
    } else {
      Annotations.of(this).addInfo('No merchant notifier: pass -c merchantWebhookUrl=https://… to deploy the best-effort outcome notifications of the reference app.');
    }
    Tags.of(this).add('saga', orderSaga.name);
    // What `saga` commands and the LocalStack end-to-end script need to find the deployed parts.
    new CfnOutput(this, 'TableName', { value: this.choreography.table.tableName, description: 'SAGA_TABLE_NAME for the saga CLI' });
    new CfnOutput(this, 'EventBusName', { value: this.choreography.eventBus.eventBusName, description: 'SAGA_EVENT_BUS_NAME' });
    new CfnOutput(this, 'DlqUrls', { value: this.choreography.dlqUrlsJson(), description: 'SAGA_DLQ_URLS for the saga CLI: JSON map participant -> DLQ URL' });
    new CfnOutput(this, 'QueueUrls', { value: this.choreography.queueUrlsJson(), description: 'SAGA_QUEUE_URLS for the saga CLI: JSON map participant -> work queue URL' });
  }

  /** A secret shared with the merchant: the existing one named, else a new random one (rotated by hand, with the merchant). */
  private merchantSecret(id: string, name: string | undefined, description: string): secretsmanager.ISecret {
    if (name) return secretsmanager.Secret.fromSecretNameV2(this, id, name);
    const secret = new secretsmanager.Secret(this, id, { description, generateSecretString: { passwordLength: 48, excludePunctuation: true } });
    Validations.of(secret).acknowledge({ ...SHARED_SECRET_ROTATION_ACKNOWLEDGEMENT });
    return secret;
  }
}

function contextString(scope: Construct, key: string): string | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`Context ${key} must be a string, got ${JSON.stringify(value)}.`);
  return value;
}

/** Builds the app with the cdk-nag packs registered; synthesis fails on any unacknowledged finding. */
export function buildReferenceApp(app: App = new App(), props: SagaReferenceStackProps = {}): { app: App; stack: SagaReferenceStack } {
  const stack = new SagaReferenceStack(app, 'SagaReference', props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  // Under the CDK CLI, CDK_OUTDIR is set; run directly (`npx tsx bin/app.ts`), it writes ./cdk.out.
  const { app } = buildReferenceApp(new App(process.env.CDK_OUTDIR ? {} : { outdir: join(REPO_ROOT, 'cdk.out') }));
  app.synth();
}
