import { parseArgs } from 'node:util';
import { startLocalDynamoDb } from '../../local/dynamodb/http.js';
import { UsageError, type CliIO, type Command } from '../io.js';

const USAGE = `saga local dynamodb [--port <n>] [--host <address>] [--latency-ms <n>]

  Serves an in-memory DynamoDB and DynamoDB Streams on HTTP (the JSON 1.0 protocol the AWS SDKs
  and the AWS CLI speak; signatures are not checked, any credentials work). The first line of
  output is "endpoint: http://<host>:<port>"; point clients at it with
    export AWS_ENDPOINT_URL=http://<host>:<port>
  Data lives in memory only and is gone when the server stops (Ctrl-C, SIGINT or SIGTERM; exit 0).

  --port <n>         TCP port, 0 for a free one (default 0)
  --host <address>   address to listen on (default 127.0.0.1; nothing is authenticated)
  --latency-ms <n>   wait this long before answering each request, modelling AWS's per-call delay`;

/**
 * `saga local dynamodb`: the local DynamoDB engine as a server other processes (the AWS CLI, an
 * app in another language, a second Node process) can reach. Runs until SIGINT or SIGTERM.
 *
 * @example
 * ```sh
 * saga local dynamodb --port 8000 &
 * AWS_ENDPOINT_URL=http://127.0.0.1:8000 aws dynamodb list-tables
 * ```
 */
export const localCommand: Command = {
  name: 'local',
  summary: 'serve local AWS stand-ins: `saga local dynamodb` (in-memory DynamoDB + Streams over HTTP)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' }, 'latency-ms': { type: 'string', default: '0' } },
    });
    const [service, ...extra] = positionals;
    if (service !== 'dynamodb') throw new UsageError(service === undefined ? 'name the service to serve: dynamodb.' : `unknown service ${JSON.stringify(service)}; the one served is dynamodb.`);
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}.`);
    const port = integerOption('--port', values.port, 65_535);
    const latencyMs = integerOption('--latency-ms', values['latency-ms'], 600_000);
    return serve(io, { port, host: values.host, latencyMs });
  },
};

function integerOption(flag: string, text: string, max: number): number {
  // Number('') is 0 and Number('8e3') is 8000: accept plain decimal digits only.
  if (!/^\d+$/.test(text) || Number(text) > max) throw new UsageError(`${flag} must be a whole number from 0 to ${max}, got ${JSON.stringify(text)}.`);
  return Number(text);
}

async function serve(io: CliIO, options: { port: number; host: string; latencyMs: number }): Promise<number> {
  let local: Awaited<ReturnType<typeof startLocalDynamoDb>>;
  try {
    local = await startLocalDynamoDb(options);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES' || code === 'ENOTFOUND') {
      io.err(`saga local: cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`);
      return 1;
    }
    throw error;
  }
  // Scripts read the first line to find the port (with --port 0), so it comes first and alone.
  io.out(`endpoint: ${local.endpoint}`);
  io.out(`DynamoDB and DynamoDB Streams are serving. Point clients here with:\n  export AWS_ENDPOINT_URL=${local.endpoint}\nData is in memory only and is lost when this stops (Ctrl-C).`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (received: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(received);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
  await local.stop();
  io.out(`stopped (${signal}); the data is gone.`);
  return 0;
}
