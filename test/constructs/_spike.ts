import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { orderSaga } from '../../functions/order/definition.js';
import { Choreography } from '../../lib/constructs/index.js';
const fx = 'test/constructs/fixtures/handler.ts';
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new Stack(app, 'S');
const c = new Choreography(stack, 'Order', { definition: orderSaga, relayEntry: fx, trackerEntry: fx, reconcilerEntry: fx });
for (const p of ['inventory', 'order', 'payment']) c.addParticipant(p, { entry: fx });
const t = Template.fromStack(stack);
const json = t.toJSON();
console.log(Object.entries(json.Resources).map(([k, v]: [string, any]) => `${k} ${v.Type}`).join('\n'));
for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
  const r = pack.validateScope(app);
  for (const v of r.violations) console.log(v.severity, v.ruleName, v.violatingResources.map((x: any) => x.constructPath).join(', '));
}
if (process.argv[2]) console.log(JSON.stringify(json.Resources[process.argv[2]] ?? Object.fromEntries(Object.entries(json.Resources).filter(([, v]: any) => v.Type === process.argv[2])), null, 1));
