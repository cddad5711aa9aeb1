import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledgements.js';
import { bundlingRoot } from './bundling-root.js';
import { SagaConstructError } from './errors.js';
import { KEY_WRITE_ACTIONS, allowLogsToUseKey, grantKey, removalPolicyOf, type SagaDataProtection } from './protection.js';

/** What X-Ray tracing needs; X-Ray has no resource-level permissions, hence `Resource: "*"`. */
export const XRAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] as const;

/**
 * The newest Node.js runtime aws-cdk-lib 2.276 offers (cdk-nag's LambdaLatestVersion rule checks
 * it). Pinned rather than `NODEJS_LATEST` so that a CDK upgrade never changes a runtime silently.
 */
export const SAGA_NODE_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * ESM output (our sources are ESM with top-level imports); the banner gives CommonJS dependencies
 * bundled into the ESM file a working `require` for Node built-ins.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __sagaCreateRequire } from 'node:module'; const require = __sagaCreateRequire(import.meta.url);";

/** Settings shared by every function the constructs create (participants, relay, tracker, reconciler). */
export interface SagaFunctionOptions {
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly architecture: lambda.Architecture;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: logs.RetentionDays;
  readonly tracing: lambda.Tracing;
  /** @default the entry's project: the nearest directory above the entry with a lock file, else with a package.json (see bundlingRoot) */
  readonly projectRoot?: string;
  /** @default that directory's lock file (npm, pnpm, yarn or bun), else its package.json */
  readonly depsLockFilePath?: string;
  /** Async-invocation dead-letter queue (only for functions invoked asynchronously). @default none */
  readonly deadLetterQueue?: sqs.IQueue;
  /** Removal policy and key of the log group (and the key of the async DLQ). @default RETAIN, CloudWatch Logs default encryption */
  readonly protection?: SagaDataProtection;
}

/**
 * A bundled Node.js function with its own role and log group. The role starts empty except for
 * writing to its own log group (no AWS managed policy); every other permission is granted
 * explicitly by the construct that owns the function. The X-Ray permissions (which can only name
 * `Resource: "*"`) live in a policy of their own, {@link SagaFunction.tracingPolicy}, and only that
 * policy carries the cdk-nag acknowledgement: a wildcard statement added to the role later is
 * still reported.
 *
 * @example
 * ```ts
 * const fn = new SagaFunction(this, 'Handler', {
 *   entry: 'functions/order/payment.ts', description: 'payment', timeout: Duration.seconds(30), memorySize: 256,
 *   architecture: lambda.Architecture.ARM_64, tracing: lambda.Tracing.ACTIVE, logRetention: logs.RetentionDays.ONE_MONTH,
 *   environment: { [ENV.PARTICIPANT]: 'payment' },
 * });
 * ```
 */
export class SagaFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The X-Ray statement, alone in its policy. @default undefined when tracing is disabled */
  readonly tracingPolicy?: iam.Policy;

  constructor(scope: Construct, id: string, options: SagaFunctionOptions) {
    super(scope, id);
    const entry = resolve(options.entry);
    if (!existsSync(entry)) {
      throw new SagaConstructError(
        `${this.node.path}: entry file ${JSON.stringify(options.entry)} does not exist (resolved to ${entry}). ` +
          `Pass the path of a .ts/.js file exporting "handler", absolute or relative to the working directory.`,
        { path: this.node.path, prop: 'entry', value: options.entry },
      );
    }
    // From the entry, not the working directory: the consumer's lock file, whichever it is, or none.
    const root = options.projectRoot === undefined && options.depsLockFilePath === undefined ? bundlingRoot(entry) : undefined;
    const key = options.protection?.encryptionKey;
    if (key) allowLogsToUseKey(this, key);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: options.logRetention,
      removalPolicy: removalPolicyOf(options.protection),
      encryptionKey: key,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    this.logGroup.grantWrite(this.role);
    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: options.description,
      runtime: SAGA_NODE_RUNTIME,
      architecture: options.architecture,
      timeout: options.timeout,
      memorySize: options.memorySize,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // Not `tracing`: Function would add the X-Ray statement to the role's default policy, where
      // acknowledging its "*" would acknowledge every other "*" added to the role too.
      deadLetterQueue: options.deadLetterQueue,
      projectRoot: options.projectRoot ?? root?.projectRoot,
      depsLockFilePath: options.depsLockFilePath ?? root?.depsLockFilePath,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...options.environment },
      bundling: {
        minify: true,
        sourceMap: true,
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        target: 'node24',
        // The Lambda runtime ships AWS SDK v3; bundling it would only grow cold starts.
        externalModules: ['@aws-sdk/*'],
      },
    });
    if (options.tracing !== lambda.Tracing.DISABLED) {
      this.tracingPolicy = new iam.Policy(this, 'TracingPolicy', {
        roles: [this.role],
        statements: [new iam.PolicyStatement({ actions: [...XRAY_ACTIONS], resources: ['*'] })],
      });
      acknowledge(this.tracingPolicy, 'xrayWildcard');
      (this.function.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: options.tracing };
      // Lambda checks the role's X-Ray permissions when the function is created with tracing on.
      this.function.node.addDependency(this.tracingPolicy);
    }
    // Lambda sends failed async invocations to the DLQ with the function's role (it grants SendMessage itself).
    if (options.deadLetterQueue) grantKey(this.role, options.deadLetterQueue.encryptionMasterKey, KEY_WRITE_ACTIONS);
  }
}
