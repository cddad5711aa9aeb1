import { SagaError } from '../core/errors.js';
import { processTerminal, type ProgressTerminal } from './progress.js';

/** Where a command writes; tests pass a capturing implementation. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Where long commands draw progress: present only when a person watches (see {@link processTerminal}). */
  readonly terminal?: ProgressTerminal;
}

const terminal = processTerminal();
export const processIO: CliIO = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  ...(terminal ? { terminal } : {}),
};

/** Collects output in memory (tests, `--json` composition). */
export function bufferIO(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

/** A command-line mistake: printed with the command's usage, exit code 2. */
export class UsageError extends SagaError {
  constructor(message: string) {
    super(message, {});
    this.name = 'UsageError';
  }
}

/** One `saga <name>` command. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: string[], io: CliIO): Promise<number>;
}
