import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV, NOTIFIER, outcomeNoncePrefix, ownPrefix, receiversKey, sagaKey } from '../core/index.js';
import type { IChoreography } from './choreography-base.js';
import { SagaConstructError } from './errors.js';
import { definitionModulePath, frameworkEntryFile } from './framework-entries.js';
import { SagaFunction } from './function.js';
import { ITEM_READ_ACTIONS, grantOwnItems } from './permissions.js';
import { checkDuration } from './validation.js';

/**
 * Why the outcome API function carries no async-invocation DLQ (cdk-nag Serverless-LambdaDLQ):
 * recorded on that function only. Its own entry (not in ACKNOWLEDGEMENTS) because the reason
 * differs from the event-source-mapping one there.
 */
export const OUTCOME_API_DLQ_ACKNOWLEDGEMENT = {
  id: 'Serverless-LambdaDLQ',
  reason:
    'The outcome query API is invoked only synchronously through its function URL: the caller gets the error as the HTTP response and retries, ' +
    'so an async-invocation dead-letter queue would never receive anything.',
} as const;

const KEY_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** The outcome query API's settings (also `SagaNotifier`'s `outcomeApi` prop). */
export interface OutcomeApiOptions {
  /**
   * The receivers allowed to query: receiver id (the id a saga names at start,
   * `startSaga(…, { receivers })`, and its notifier endpoint id) → the Secrets Manager secret
   * holding its key (a SecretString of at least 16 characters). Only the secret's ARN reaches the
   * function's environment; the function reads the value at run time (`secretsmanager:GetSecretValue`
   * on these secrets only) and caches it for `secretsMaxAge`. A key reads only its own sagas.
   */
  readonly keys: Readonly<Record<string, secretsmanager.ISecret>>;
  /**
   * Function URL authentication. With `AWS_IAM` callers also sign with SigV4 and need
   * `lambda:InvokeFunctionUrl` ({@link SagaOutcomeApi.grantQuery}); `NONE` leaves the request
   * signature as the only check (for receivers outside AWS). @default lambda.FunctionUrlAuthType.AWS_IAM
   */
  readonly authType?: lambda.FunctionUrlAuthType;
  /** How long a key is cached (a rotated key is also picked up at once by the first request signed with it). @default Duration.minutes(5) */
  readonly secretsMaxAge?: Duration;
}

export interface SagaOutcomeApiProps extends OutcomeApiOptions {
  /** The choreography whose outcomes are answered (its table and definition). */
  readonly choreography: IChoreography;
  /** Your own entry of the function (`outcomeApiHandlerFor(saga)`). @default a generated entry: the framework's outcome API with the choreography's definition */
  readonly entry?: string;
  /** The module exporting the choreography's definition, for the generated entry. @default the choreography's `definitionModule`, else the module that called `defineSaga` */
  readonly definitionModule?: string;
  /** @default lambda.Architecture.ARM_64 */
  readonly architecture?: lambda.Architecture;
  /** @default lambda.Tracing.ACTIVE */
  readonly tracing?: lambda.Tracing;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** esbuild project root. @default the entry's project */
  readonly projectRoot?: string;
  /** Lock file for esbuild. @default that directory's lock file, else its package.json */
  readonly depsLockFilePath?: string;
}

/**
 * The outcome query API of best-effort notification (最大努力通知的查询接口): a Lambda function URL
 * answering `GET /sagas/{sagaId}` to signed requests (lib/runtime/outcome-api/outcome-api.ts), with
 * per-receiver keys from Secrets Manager, replay protection (timestamp window + nonce remembered in
 * the table) and per-receiver scope (a key reads only the sagas that named its receiver at start).
 *
 * Permissions: read saga records, notifications and the sagas' receivers; put nonces
 * (`notifier#nonce#*`); read its keys' secrets. Nothing else.
 *
 * @example
 * ```ts
 * const merchantKey = secretsmanager.Secret.fromSecretNameV2(stack, 'MerchantKey', 'order-saga/merchant-api-key');
 * const api = new SagaOutcomeApi(stack, 'OutcomeApi', { choreography, keys: { merchant: merchantKey } });
 * api.grantQuery(merchantRole);
 * new CfnOutput(stack, 'OutcomeApiUrl', { value: api.url.url });
 * ```
 */
export class SagaOutcomeApi extends Construct {
  readonly function: lambda.IFunction;
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: SagaOutcomeApiProps) {
    super(scope, id);
    const { choreography } = props;
    const def = choreography.definition;
    const where = this.node.path;
    const fail = (message: string, value?: unknown): never => {
      throw new SagaConstructError(`${where}: ${message}`, { path: where, prop: 'keys', value });
    };
    const keyIds = Object.keys(props.keys);
    if (keyIds.length === 0) fail('keys is empty: nobody could query. Give each receiver a key secret (key id = the receiver id its sagas name at start).');
    for (const keyId of keyIds) {
      if (!KEY_ID.test(keyId)) fail(`key id ${JSON.stringify(keyId)} is invalid; use a receiver id: lower-case letters, digits and '-' (max 40), e.g. "merchant".`, keyId);
    }
    const maxAge = props.secretsMaxAge ?? Duration.minutes(5);
    checkDuration(this, 'secretsMaxAge', maxAge, Duration.seconds(1), Duration.hours(1));

    const entry = props.entry ?? frameworkEntryFile(this, def, 'outcomeApi', definitionModulePath(this, def, props.definitionModule ?? choreography.definitionModule));
    const fn = new SagaFunction(this, 'Function', {
      entry,
      description: `saga ${def.name}: outcome query API (GET /sagas/{sagaId})`,
      timeout: Duration.seconds(10),
      memorySize: 256,
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      tracing: props.tracing ?? lambda.Tracing.ACTIVE,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      ...(props.projectRoot ? { projectRoot: props.projectRoot } : {}),
      ...(props.depsLockFilePath ? { depsLockFilePath: props.depsLockFilePath } : {}),
      // The choreography's removal policy and key for its log group.
      protection: choreography.protection,
      environment: {
        [ENV.TABLE_NAME]: choreography.table.tableName,
        [ENV.DEFINITION_NAME]: def.name,
        // Names (ARNs) only: the keys themselves never reach the function's configuration.
        [ENV.OUTCOME_API_KEY_SECRETS]: Stack.of(this).toJsonString(Object.fromEntries(Object.entries(props.keys).map(([k, secret]) => [k, secret.secretArn]))),
        [ENV.SECRETS_MAX_AGE_SECONDS]: String(maxAge.toSeconds()),
      },
    });
    // Read-only on saga records, notifications and the sagas' receivers; put-only on nonces.
    grantOwnItems(fn.function, choreography.table, [`${sagaKey('').pk}*`, `${ownPrefix(NOTIFIER)}*`], ITEM_READ_ACTIONS);
    grantOwnItems(fn.function, choreography.table, [`${receiversKey('').pk}*`], ['dynamodb:GetItem']);
    grantOwnItems(fn.function, choreography.table, [`${outcomeNoncePrefix}*`], ['dynamodb:PutItem']);
    for (const secret of Object.values(props.keys)) secret.grantRead(fn.function);
    Validations.of(fn.function).acknowledge({ ...OUTCOME_API_DLQ_ACKNOWLEDGEMENT });
    this.function = fn.function;
    this.url = fn.function.addFunctionUrl({ authType: props.authType ?? lambda.FunctionUrlAuthType.AWS_IAM });
  }

  /** Lets a principal call the function URL (with `authType` AWS_IAM); it still signs each request with its key. */
  grantQuery(grantee: iam.IGrantable): iam.Grant {
    return this.url.grantInvokeUrl(grantee);
  }
}
