import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { participantNames } from '../../core/model.js';
import { UsageError, type CliIO, type Command } from '../io.js';
import { forceCompensation, inspectSaga, listDeadLetters, redrive, resolveSaga, retryStep, versionStatus, type OperatorContext } from '../../runtime/operator/index.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE, awsOperatorContext, connectionFlags, type ContextFactory } from './context.js';
import { formatDeadLetters, formatInspection, formatVersions } from './format.js';
import { sagaTimelinePage, type TimelineExtras } from '../html/timeline-page.js';

type Values = Record<string, unknown>;

function parse(argv: string[], extra: Record<string, { type: 'string' | 'boolean'; default?: string | boolean }> = {}): { values: Values; positionals: string[] } {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...CONNECTION_OPTIONS, ...extra } });
  return { values: values as Values, positionals };
}

function positional(positionals: readonly string[], index: number, what: string): string {
  const value = positionals[index];
  if (!value) throw new UsageError(`Missing ${what}.`);
  return value;
}

const print = (io: CliIO, json: unknown, values: Values, text: () => string[]): void => {
  if (values.json) io.out(JSON.stringify(json, null, 2));
  else for (const line of text()) io.out(line);
};

/**
 * The saga's messages in the participants' DLQs, for the page. The DLQs are read only when their
 * URLs are known; a failure to read them is shown on the page rather than failing the command,
 * since the saga record already keeps each dead letter's failure.
 */
async function deadLettersOf(ctx: OperatorContext, sagaId: string): Promise<TimelineExtras> {
  if (ctx.queues.participants().length === 0) return {};
  try {
    return { deadLetters: (await listDeadLetters(ctx)).filter((l) => l.sagaId === sagaId) };
  } catch (error) {
    return { deadLetterError: (error as Error).message };
  }
}

/**
 * The operator commands (`saga dlq list`, `saga redrive`, `saga inspect`, `saga retry`,
 * `saga compensate`, `saga resolve`) over a context factory: AWS by default, a local cloud in
 * tests. Each command is a thin parser around an action in `./actions.ts`.
 */
export function createOperatorCommands(context: ContextFactory = awsOperatorContext): Command[] {
  const dlq: Command = {
    name: 'dlq',
    summary: 'list dead-lettered messages per participant, with the reason each failed',
    usage: `saga dlq list [participant] [--max N (100)] ${CONNECTION_USAGE}`,
    async run(argv, io) {
      const { values, positionals } = parse(argv, { max: { type: 'string' } });
      if (positionals[0] !== 'list') throw new UsageError(`Unknown dlq subcommand ${JSON.stringify(positionals[0] ?? '')}; use \`saga dlq list\`.`);
      const max = values.max === undefined ? 100 : Number(values.max);
      if (!Number.isInteger(max) || max < 1) throw new UsageError(`--max must be a positive integer, got ${JSON.stringify(values.max)}.`);
      const ctx = await context(connectionFlags(values));
      const only = positionals[1];
      const letters = await listDeadLetters(ctx, only, max);
      const shown = only ? [only] : ctx.queues.participants().filter((p) => participantNames(ctx.def).includes(p));
      print(io, { deadLetters: letters }, values, () => formatDeadLetters(letters, shown));
      return 0;
    },
  };
  const redriveCommand: Command = {
    name: 'redrive',
    summary: "move a participant's DLQ messages back to its queue (SQS StartMessageMoveTask)",
    usage: `saga redrive <participant> [--copy] ${CONNECTION_USAGE}\n  --copy  receive, re-send and delete each message instead of a move task (an SQS without StartMessageMoveTask, e.g. moto)`,
    async run(argv, io) {
      const { values, positionals } = parse(argv, { copy: { type: 'boolean', default: false } });
      const participant = positional(positionals, 0, 'participant');
      const result = await redrive(await context(connectionFlags(values)), participant, values.copy ? { method: 'copy' } : {});
      print(io, { participant, ...result }, values, () => [
        result.taskHandle
          ? `Started a message move task for the ${participant} DLQ (handle ${result.taskHandle}); messages return to its queue shortly.`
          : `Moved ${result.moved ?? 0} message(s) from the ${participant} DLQ back to its queue.`,
      ]);
      return 0;
    },
  };
  const inspect: Command = {
    name: 'inspect',
    summary: 'show a saga: status, timeline, steps done/compensated, and why it is stuck (or write its timeline as an HTML page)',
    usage: `saga inspect <sagaId> [--html <file>] ${CONNECTION_USAGE}\n  --html <file>  write one self-contained HTML page: the timeline per participant, compensations, dead letters, flags`,
    async run(argv, io) {
      const { values, positionals } = parse(argv, { html: { type: 'string' } });
      const ctx = await context(connectionFlags(values));
      const sagaId = positional(positionals, 0, 'saga id');
      const inspection = await inspectSaga(ctx, sagaId);
      if (typeof values.html === 'string') {
        if (values.html === '') throw new UsageError('--html needs a file name, e.g. --html saga.html.');
        writeFileSync(values.html, sagaTimelinePage(ctx.def, inspection, await deadLettersOf(ctx, sagaId)));
        print(io, { sagaId, status: inspection.saga.status, html: values.html }, values, () => [`Wrote ${values.html}: the timeline of saga ${sagaId} (${inspection.saga.status}); open it in a browser.`]);
        return 0;
      }
      print(io, inspection, values, () => formatInspection(inspection));
      return 0;
    },
  };
  const retry: Command = {
    name: 'retry',
    summary: "re-deliver the event that triggers a participant's pending step to its queue",
    usage: `saga retry <sagaId> <participant> [--event <Type>] ${CONNECTION_USAGE}`,
    async run(argv, io) {
      const { values, positionals } = parse(argv, { event: { type: 'string' } });
      const ctx = await context(connectionFlags(values));
      const result = await retryStep(ctx, positional(positionals, 0, 'saga id'), positional(positionals, 1, 'participant'), values.event as string | undefined);
      print(io, result, values, () => [`Re-delivered ${result.type} ${result.eventId} to ${result.participant} (message ${result.messageId}).`]);
      return 0;
    },
  };
  const compensate: Command = {
    name: 'compensate',
    summary: 'force backward recovery of a saga (publishes SagaTimedOut, reason "operator")',
    usage: `saga compensate <sagaId> [--note <text>] ${CONNECTION_USAGE}`,
    async run(argv, io) {
      const { values, positionals } = parse(argv, { note: { type: 'string' } });
      const sagaId = positional(positionals, 0, 'saga id');
      const result = await forceCompensation(await context(connectionFlags(values)), sagaId, (values.note as string | undefined) ?? 'compensation forced by an operator');
      print(io, { sagaId, ...result }, values, () => [`Published SagaTimedOut ${result.eventId} for saga ${sagaId}; its participants now compensate (steps past the pivot ignore it).`]);
      return 0;
    },
  };
  const resolve: Command = {
    name: 'resolve',
    summary: 'mark a saga as handled by a person (note kept on the record; leaves the open index)',
    usage: `saga resolve <sagaId> --note <text> ${CONNECTION_USAGE}`,
    async run(argv, io) {
      const { values, positionals } = parse(argv, { note: { type: 'string' } });
      const sagaId = positional(positionals, 0, 'saga id');
      if (typeof values.note !== 'string' || !values.note.trim()) throw new UsageError('--note is required: say what was done, e.g. --note "refunded by hand, ticket 123".');
      const saga = await resolveSaga(await context(connectionFlags(values)), sagaId, values.note);
      print(io, { sagaId, status: saga.status, resolvedAt: saga.resolvedAt, notes: saga.notes }, values, () => [`Saga ${sagaId} marked resolved (status stays ${saga.status}); the reconciler will not look at it again.`]);
      return 0;
    },
  };
  const versions: Command = {
    name: 'versions',
    summary: 'during a rolling upgrade: open and flagged sagas and DLQ depth per definition version, and whether a previous version has drained',
    usage: `saga versions ${CONNECTION_USAGE}`,
    async run(argv, io) {
      const { values } = parse(argv);
      const status = await versionStatus(await context(connectionFlags(values)));
      print(io, { versions: status }, values, () => formatVersions(status));
      return 0;
    },
  };
  return [dlq, redriveCommand, inspect, retry, compensate, resolve, versions];
}

/** The operator commands against AWS (or `AWS_ENDPOINT_URL`), as registered in `saga`. */
export const operatorCommands: readonly Command[] = createOperatorCommands();
