import { describe, expect, it } from 'vitest';
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DefinitionError, SagaCoreError, SagaError } from '../../lib/core/index.js';
import { SagaConstructError } from '../../lib/constructs/index.js';
import { LocalCloudError, PatternError } from '../../lib/local/index.js';
import { SagaRuntimeError } from '../../lib/runtime/index.js';
import { bufferIO, UsageError, type Command } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';

/** A command that throws what it is given. */
const throwing = (error: unknown): Command => ({ name: 'boom', summary: 'throws', usage: 'saga boom', run: async () => Promise.reject(error) });

describe('one base class for the framework errors, and the CLI prints them as one line', () => {
  it('every framework error family is a SagaError with its own name and context', () => {
    const errors = [
      new SagaCoreError('core', { a: 1 }),
      new DefinitionError('bad definition'),
      new SagaRuntimeError('runtime'),
      new LocalCloudError('local'),
      new SagaConstructError('bad props', { path: 'Stack/Saga' }),
      new PatternError('detail.amount', 'numeric needs a number', { numeric: ['>', 'x'] }),
      new UsageError('bad flag'),
    ];
    for (const e of errors) expect(e, e.name).toBeInstanceOf(SagaError);
    expect(errors.map((e) => e.name)).toEqual(['SagaCoreError', 'DefinitionError', 'SagaRuntimeError', 'LocalCloudError', 'SagaConstructError', 'PatternError', 'UsageError']);
    expect(errors[4]!.context).toEqual({ path: 'Stack/Saga' });
    expect((errors[5] as PatternError).context).toEqual({ path: 'detail.amount', pattern: { numeric: ['>', 'x'] } });
  });

  it.each([
    ['a construct error', new SagaConstructError('Choreography "Saga": prop `tracing` is wrong.'), 'saga boom: SagaConstructError: Choreography "Saga": prop `tracing` is wrong.'],
    ['a pattern error', new PatternError('detail.amount', 'numeric needs a number', {}), 'saga boom: PatternError: Invalid event pattern at "detail.amount": numeric needs a number'],
    ['a local cloud error', new LocalCloudError('the table is gone'), 'saga boom: LocalCloudError: the table is gone'],
  ])('prints %s as its one-line message, exit code 1, no stack', async (_what, error, line) => {
    const io = bufferIO();
    expect(await main(['boom'], io, [throwing(error)])).toBe(1);
    expect(io.stderr).toEqual([line]);
  });

  it('prints an AWS service answer by its name and status, not a stack', async () => {
    const missing = new ResourceNotFoundException({ message: 'Requested resource not found: Table: Sagas not found', $metadata: { httpStatusCode: 400 } });
    const io = bufferIO();
    expect(await main(['boom'], io, [throwing(missing)])).toBe(1);
    expect(io.stderr).toEqual(['saga boom: ResourceNotFoundException (HTTP 400): Requested resource not found: Table: Sagas not found']);
  });

  it('rethrows anything else (a bug keeps its stack)', async () => {
    await expect(main(['boom'], bufferIO(), [throwing(new TypeError('x is undefined'))])).rejects.toThrow(TypeError);
  });
});
