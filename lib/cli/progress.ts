/**
 * Progress output for long commands (`saga simulate`, the soak, the bench): phase lines, and one
 * status line redrawn in place, on stderr — only when a person watches: stdout is a terminal, the
 * output is not `--json`, and no CI system is running us (`CI` set). Otherwise it says nothing,
 * so piped output, JSON and CI logs stay clean.
 */

/** Where progress is drawn: a terminal's stderr (or a test's stand-in). */
export interface ProgressTerminal {
  write(text: string): void;
  /** Wall-clock milliseconds, for throttling redraws. @default performance.now */
  now?(): number;
}

/** What a long command reports as it goes. */
export interface Progress {
  /** Whether anything is drawn at all. */
  readonly enabled: boolean;
  /** A line that stays: a phase starts or ends. */
  phase(message: string): void;
  /** The running status, redrawn in place at most every {@link REDRAW_EVERY_MS}. */
  status(message: string): void;
  /** Ends the status line (call once the work is done, before printing results). */
  done(): void;
}

/** Redraws of the status line are at least this far apart: a terminal is not a log. */
export const REDRAW_EVERY_MS = 200;

/** Whether a CI system runs this process (the `CI` convention most of them follow). */
export function runsInCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/**
 * The terminal progress is drawn on, when a person watches: stdout is a TTY and no CI runs us.
 *
 * @example
 * ```ts
 * const progress = createProgress(processTerminal(), { json: values.json });
 * progress.phase('Simulating 200 sagas …');
 * progress.status('started 120/200 · 3,400 deliveries');
 * progress.done();
 * ```
 */
export function processTerminal(): ProgressTerminal | undefined {
  if (!process.stdout.isTTY || runsInCi()) return undefined;
  return { write: (text) => void process.stderr.write(text) };
}

const SILENT: Progress = { enabled: false, phase: () => undefined, status: () => undefined, done: () => undefined };

/** A progress reporter drawing on `terminal`; silent without one or under `--json`. */
export function createProgress(terminal: ProgressTerminal | undefined, options: { readonly json?: boolean } = {}): Progress {
  if (!terminal || options.json) return SILENT;
  const now = terminal.now ?? (() => performance.now());
  let shown = false; // a status line is on screen, not ended by a newline
  let drawnAt = Number.NEGATIVE_INFINITY;
  // Carriage return, then clear to the end of the line: a shorter status leaves no stale tail.
  const clear = () => (shown ? '\r\u001b[K' : '');
  return {
    enabled: true,
    phase(message) {
      terminal.write(`${clear()}${message}\n`);
      shown = false;
      drawnAt = Number.NEGATIVE_INFINITY;
    },
    status(message) {
      const t = now();
      if (t - drawnAt < REDRAW_EVERY_MS) return;
      drawnAt = t;
      terminal.write(`${clear() || '\r'}${message}`);
      shown = true;
    },
    done() {
      if (shown) terminal.write('\n');
      shown = false;
    },
  };
}
