import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../lib/constructs/paths.js';
import { OrdersStack, PaymentsStack, SharedSagaStack } from './fixtures/own-stack-example.js';
import { testApp } from './support.js';

/** docs/deploy.md shows fixtures/own-stack-example.ts verbatim; tsc compiles it, this synthesizes it. */
describe('docs/deploy.md example', () => {
  it('is the compiled example file, verbatim', () => {
    const example = readFileSync(new URL('./fixtures/own-stack-example.ts', import.meta.url), 'utf8').trimEnd();
    const doc = readFileSync(join(PACKAGE_ROOT, 'docs', 'deploy.md'), 'utf8');
    expect(doc).toContain(`\`\`\`ts\n${example}\n\`\`\``);
  });

  it('synthesizes: one stack, and shared + participant stacks', () => {
    const app = testApp();
    const orders = new OrdersStack(app, 'Orders');
    const shared = new SharedSagaStack(app, 'Shared');
    const payments = new PaymentsStack(app, 'Payments', { shared: shared.saga });
    expect(() => app.synth()).not.toThrow();
    Template.fromStack(orders).resourceCountIs('AWS::Lambda::Function', 3 + 4);
    Template.fromStack(payments).resourceCountIs('AWS::Lambda::Function', 2);
    Template.fromStack(orders).hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 120, RedrivePolicy: { maxReceiveCount: 3, deadLetterTargetArn: Match.objectLike({ 'Fn::GetAtt': Match.anyValue() }) } });
  });
});
