import { SagaError } from '../core/errors.js';
import { commands as registered } from './registry.js';
import { processIO, UsageError, type CliIO, type Command } from './io.js';

function help(io: CliIO, commands: readonly Command[]): void {
  io.out('saga — saga-choreography command line\n');
  io.out('Usage: saga <command> [options]\n');
  for (const c of commands) io.out(`  ${c.name.padEnd(12)} ${c.summary}`);
  io.out('\nRun `saga <command> --help` for a command\'s options.');
}

/** Runs the CLI; returns the process exit code. `commands` lets embedders and tests swap ports (e.g. a local cloud). */
export async function main(argv: string[], io: CliIO = processIO, commands: readonly Command[] = registered): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    help(io, commands);
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`Unknown command ${JSON.stringify(name)}. Commands: ${commands.map((c) => c.name).join(', ')}.`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${command.summary}\n\nUsage: ${command.usage}`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`saga ${name}: ${(error as Error).message}\nUsage: ${command.usage}`);
      return 2;
    }
    const line = oneLineMessage(error);
    if (line) {
      io.err(`saga ${name}: ${line}`);
      return 1;
    }
    throw error;
  }
}

/**
 * The one line `saga` prints for an error it expects: any framework error (a {@link SagaError}:
 * bad definition, construct props, configuration, an operator action refused …), and an AWS
 * service's answer (`AccessDeniedException`, `ResourceNotFoundException` …, thrown by the SDK or by
 * the local DynamoDB engine) — the person needs its name and message, not our stack. Anything else
 * is a bug: `undefined`, and it is rethrown with its stack.
 */
export function oneLineMessage(error: unknown): string | undefined {
  if (error instanceof SagaError) return `${error.name}: ${error.message}`;
  if (isServiceException(error)) {
    const status = error.$metadata?.httpStatusCode;
    return `${error.name}${status ? ` (HTTP ${status})` : ''}: ${error.message}`;
  }
  return undefined;
}

/** An AWS SDK v3 service exception: it carries `$fault` and `$metadata`. */
function isServiceException(error: unknown): error is Error & { $fault: string; $metadata?: { httpStatusCode?: number } } {
  return error instanceof Error && typeof (error as { $fault?: unknown }).$fault === 'string';
}
