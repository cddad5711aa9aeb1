import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { AnySagaDefinition } from '../core/index.js';
import { ChoreographyBase } from './choreography-base.js';
import { SagaConstructError } from './errors.js';
import type { SagaDataProtection } from './protection.js';
import { checkExistingTable } from './table.js';
import { checkDefinitionShape } from './validation.js';
import { verifyForSynth } from './verification.js';

/** How to find the shared parts of a choreography deployed elsewhere. Give the bus and the table one way each. */
export interface ChoreographyAttributes {
  /** The same definition the shared stack was built from. */
  readonly definition: AnySagaDefinition;
  /** The module exporting `definition`, for a `SagaNotifier` on this object. @default the module that called `defineSaga` */
  readonly definitionModule?: string;
  /** The choreography's bus. @default - from `eventBusArn` */
  readonly eventBus?: events.IEventBus;
  /** ARN of the choreography's bus. @default - `eventBus` must be given */
  readonly eventBusArn?: string;
  /** The choreography's table. @default - from `tableArn` */
  readonly table?: dynamodb.ITable;
  /** ARN of the choreography's table. @default - `table` must be given */
  readonly tableArn?: string;
  /** Stream ARN of the table, for code that reads the stream. @default none (participants do not need it) */
  readonly tableStreamArn?: string;
  /** Where participants' alarms are sent. @default no alarm actions */
  readonly alarmTopic?: sns.ITopic;
  /**
   * The shared stack's removal policy and key, for the DLQs, queues and log groups of the
   * participants added here (pass the same key the shared stack uses). @default RETAIN, AWS-managed encryption
   */
  readonly protection?: SagaDataProtection;
}

/**
 * A choreography from another stack or app: participants can be added to it; its relay,
 * tracker and reconciler stay where they were created. Made by {@link Choreography.fromAttributes}.
 *
 * @example
 * ```ts
 * const saga = Choreography.fromAttributes(teamStack, 'Order', { definition: orderSaga, eventBus: shared.eventBus, table: shared.table });
 * saga.addParticipant('payment', { entry: 'functions/order/payment.ts' });
 * ```
 */
export class ImportedChoreography extends ChoreographyBase {
  readonly definition: AnySagaDefinition;
  readonly definitionModule?: string;
  readonly eventBus: events.IEventBus;
  readonly table: dynamodb.ITable;
  readonly alarmTopic?: sns.ITopic;
  readonly protection?: SagaDataProtection;

  constructor(scope: Construct, id: string, attrs: ChoreographyAttributes) {
    super(scope, id);
    this.definition = checkDefinitionShape(this, attrs.definition);
    verifyForSynth(this, this.definition);
    this.definitionModule = attrs.definitionModule;
    this.alarmTopic = attrs.alarmTopic;
    this.protection = attrs.protection;
    this.table = this.resolveTable(attrs);
    this.eventBus = this.resolveBus(attrs);
  }

  private exactlyOne(name: string, given: Record<string, unknown>): void {
    const set = Object.entries(given).filter(([, v]) => v !== undefined).map(([k]) => k);
    if (set.length !== 1) {
      const keys = Object.keys(given);
      throw new SagaConstructError(
        `${this.node.path}: give the ${name} exactly one way, as ${keys.map((k) => `"${k}"`).join(' or ')}; got ${set.length === 0 ? 'neither' : set.map((k) => `"${k}"`).join(' and ')}.`,
        { path: this.node.path, prop: keys.join('|') },
      );
    }
  }

  private resolveBus(attrs: ChoreographyAttributes): events.IEventBus {
    this.exactlyOne('event bus', { eventBus: attrs.eventBus, eventBusArn: attrs.eventBusArn });
    return attrs.eventBus ?? events.EventBus.fromEventBusArn(this, 'Bus', attrs.eventBusArn as string);
  }

  private resolveTable(attrs: ChoreographyAttributes): dynamodb.ITable {
    this.exactlyOne('table', { table: attrs.table, tableArn: attrs.tableArn });
    if (attrs.table) {
      checkExistingTable(this, attrs.table, false);
      return attrs.table;
    }
    return dynamodb.Table.fromTableAttributes(this, 'Table', { tableArn: attrs.tableArn, tableStreamArn: attrs.tableStreamArn, encryptionKey: attrs.protection?.encryptionKey });
  }
}
