import type { ProgressTerminal } from '../../lib/cli/progress.js';

/** A terminal stand-in: what was written, and a clock the test moves. */
export function fakeTerminal(): ProgressTerminal & { written: string[]; at: number } {
  const t = { written: [] as string[], at: 0, write: (text: string) => void t.written.push(text), now: () => t.at };
  return t;
}
