import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { localCommand } from '../../lib/cli/commands/local.js';
import { bufferIO, UsageError } from '../../lib/cli/io.js';

/** `saga local dynamodb`: a real process, found through its first line of output, stopped by a signal. */

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function saga(...args: string[]) {
  const child = spawn(process.execPath, ['bin/saga.js', ...args], { cwd: process.cwd(), env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exit, stderr: () => stderr };
}

describe('saga local dynamodb', () => {
  it('prints its endpoint first, serves DynamoDB there, and exits 0 on SIGTERM', async () => {
    // GIVEN the server on a free port
    const { child, lines, exit, stderr } = saga('local', 'dynamodb', '--port', '0');
    const first = await lines.next();
    expect(first.done, stderr()).toBe(false);
    const match = /^endpoint: (http:\/\/127\.0\.0\.1:(\d+))$/.exec(first.value as string);
    expect(match, String(first.value)).not.toBeNull();
    const endpoint = match![1]!;
    expect(Number(match![2])).toBeGreaterThan(0);
    // WHEN an SDK client calls it
    const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      const out = await client.send(new ListTablesCommand({}));
      // THEN it answers from an empty in-memory engine
      expect(out.TableNames).toEqual([]);
    } finally {
      client.destroy();
    }
    // AND a SIGTERM stops it cleanly, even with the client's keep-alive socket just closed
    child.kill('SIGTERM');
    expect(await exit, stderr()).toBe(0);
  });

  it('explains itself with --help: the endpoint line, AWS_ENDPOINT_URL, data in memory only', async () => {
    // WHEN
    const { lines, exit } = saga('local', 'dynamodb', '--help');
    const text: string[] = [];
    for (let line = await lines.next(); !line.done; line = await lines.next()) text.push(line.value as string);
    // THEN
    expect(await exit).toBe(0);
    const help = text.join('\n');
    expect(help).toContain('saga local dynamodb [--port <n>] [--host <address>]');
    expect(help).toContain('endpoint: http://<host>:<port>');
    expect(help).toContain('export AWS_ENDPOINT_URL=');
    expect(help).toMatch(/in memory only/);
    expect(help).toMatch(/SIGTERM/);
  });

  it('fails if --port is not a port number, with a usage error', async () => {
    for (const port of ['abc', '-1', '65536', '8e3', '']) {
      await expect(localCommand.run(['dynamodb', `--port=${port}`], bufferIO()), port).rejects.toThrow(UsageError);
    }
    await expect(localCommand.run(['dynamodb', '--port', 'abc'], bufferIO())).rejects.toThrow('--port must be a whole number from 0 to 65535, got "abc".');
  });

  it('fails if the service is missing or not dynamodb', async () => {
    await expect(localCommand.run([], bufferIO())).rejects.toThrow(/name the service to serve: dynamodb/);
    await expect(localCommand.run(['sqs'], bufferIO())).rejects.toThrow(/unknown service "sqs"/);
  });

  it('fails with exit code 2 and the usage if started with a bad --port', async () => {
    // WHEN
    const { exit, stderr } = saga('local', 'dynamodb', '--port', 'eighty');
    // THEN
    expect(await exit).toBe(2);
    expect(stderr()).toMatch(/saga local: --port must be a whole number/);
    expect(stderr()).toMatch(/Usage: saga local dynamodb/);
  });
});
