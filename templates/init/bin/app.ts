// bin/app.ts — the CDK app: `npx cdk synth`, `npx cdk deploy`
import { App, Stack } from 'aws-cdk-lib';
import { Choreography } from 'saga-choreography/constructs';
import { transferSaga } from '../src/transfer-saga.js';

const app = new App();
const stack = new Stack(app, 'Transfers');
// Bus, table, outbox relay, tracker and reconciler; the definition is verified at synth.
const saga = new Choreography(stack, 'Transfer', { definition: transferSaga });
// One function, queue, DLQ and rule per participant, IAM fenced to its own items.
saga.addParticipant('wallet', { entry: 'src/wallet.ts' });
saga.addParticipant('ledger', { entry: 'src/ledger.ts' });
