import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Template } from 'aws-cdk-lib/assertions';
import { orderSaga } from '../../functions/order/definition.js';
import { allReactions, isTccStep, participantNames, type AnySagaDefinition } from '../../lib/core/index.js';
import { Choreography, type ChoreographyProps } from '../../lib/constructs/index.js';

/** Stand-in entry: assertion tests skip bundling, and the template does not depend on handler code. */
export const FIXTURE_ENTRY = fileURLToPath(new URL('./fixtures/handler.ts', import.meta.url));
/** The stand-in entry of a participant with a TCC step (it names createTccParticipantHandler). */
export const TCC_FIXTURE_ENTRY = fileURLToPath(new URL('./fixtures/tcc-handler.ts', import.meta.url));
/** The stand-in entry for `participant` of `def`. */
export const fixtureEntryFor = (def: AnySagaDefinition, participant: string): string =>
  allReactions(def).some((r) => r.participant === participant && isTccStep(r.spec)) ? TCC_FIXTURE_ENTRY : FIXTURE_ENTRY;

/** Framework entries pointed at the stand-in, so tests do not depend on functions/ being written. */
export const FIXTURE_ENTRIES = { relayEntry: FIXTURE_ENTRY, trackerEntry: FIXTURE_ENTRY, reconcilerEntry: FIXTURE_ENTRY } as const;

/**
 * The feature flags of the repository's cdk.json (the recommended set of the installed aws-cdk-lib,
 * what `cdk init` writes), so the tests synthesize what `cdk synth` does.
 */
export const CDK_JSON_CONTEXT: Readonly<Record<string, unknown>> = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }
).context;

/** An app with cdk.json's feature flags that skips esbuild (context `aws:cdk:bundling-stacks: []`). */
export function testApp(): App {
  return new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
}

export interface Synthesized {
  readonly app: App;
  readonly stack: Stack;
  readonly choreography: Choreography;
  readonly template: Template;
}

/** The order saga with all its participants in one stack. */
export function synthOrderSaga(props: Partial<ChoreographyProps> = {}): Synthesized {
  const app = testApp();
  const stack = new Stack(app, 'Test');
  const choreography = new Choreography(stack, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES, ...props });
  for (const p of participantNames(orderSaga)) choreography.addParticipant(p, { entry: fixtureEntryFor(orderSaga, p) });
  return { app, stack, choreography, template: Template.fromStack(stack) };
}

type Json = Record<string, unknown>;
export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Json;
}
export interface CfnResource {
  readonly Type: string;
  readonly Properties: Json;
}

/** Logical id of an L2 construct's CloudFormation resource. */
export function idOf(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/** Logical id of the one resource of `type` whose logical id contains `part`. */
export function logicalId(template: Template, type: string, part: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.includes(part));
  if (ids.length !== 1) throw new Error(`expected exactly one ${type} with "${part}" in its logical id, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
}

/** Every statement of the IAM policies attached to the role whose logical id contains `rolePart`. */
export function statementsOfRole(template: Template, rolePart: string): Statement[] {
  const roleId = logicalId(template, 'AWS::IAM::Role', rolePart);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as CfnResource[];
  return policies
    .filter((p) => (p.Properties.Roles as Array<{ Ref?: string }>).some((r) => r.Ref === roleId))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/**
 * Statements as (effect, one action, one resource, condition) atoms, sorted: the same permissions
 * compare equal however `@aws-cdk/aws-iam:minimizePolicies` (cdk.json) merged and ordered them.
 */
export interface Atom extends Statement {
  readonly Action: string;
}
export function atoms(statements: readonly Statement[]): Atom[] {
  const out = statements.flatMap((s) =>
    actionsOf(s).flatMap((Action) =>
      (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map((Resource) => ({ Effect: s.Effect, Action, Resource, ...(s.Condition ? { Condition: s.Condition } : {}) })),
    ),
  );
  return out.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
