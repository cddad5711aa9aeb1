import { SagaCoreError } from '../errors.js';

/** Every rule of the verifier, in the order findings are reported. */
export const FINDING_CODES = [
  'unproduced-event',
  'unconsumed-event',
  'reaction-cycle',
  'duplicate-reaction',
  'missing-compensation',
  'late-effect',
  'unreachable-terminal',
  'no-terminal-reachable',
  'confirmation-without-try',
  'unconfirmed-reservation',
  'cancel-after-confirm',
  'timeout-ignored',
  'step-deadline-too-late',
  'compensation-on-success-path',
  'unused-event',
  'upgrade-reaction-dropped',
  'upgrade-event-dropped',
  'upgrade-terminal-changed',
  'upgrade-deadline-shorter',
  'path-analysis-capped',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export type FindingSeverity = 'error' | 'warning';

/** One problem found in a saga definition; the message names the culprit and says how to fix it. */
export interface VerificationFinding {
  readonly code: FindingCode;
  readonly severity: FindingSeverity;
  readonly message: string;
  readonly event?: string;
  readonly participant?: string;
  readonly step?: string;
}

/** Thrown by `assertValidDefinition` when a definition has error findings (one per line). */
export class VerificationError extends SagaCoreError {
  /** The error findings (warnings are not included). */
  readonly findings: readonly VerificationFinding[];

  constructor(definition: string, findings: readonly VerificationFinding[]) {
    const lines = findings.map((f) => `  - [${f.code}] ${f.message}`);
    super(
      `Saga "${definition}" has ${findings.length} choreography error${findings.length === 1 ? '' : 's'}:\n${lines.join('\n')}`,
      { definition, codes: [...new Set(findings.map((f) => f.code))] },
    );
    this.name = 'VerificationError';
    this.findings = findings;
  }
}

/** Reaction label used in messages and paths: `participant.step`, `participant.step (compensation)` or `participant.step (confirm)`. */
export function reactionLabel(participant: string, step: string, phase: 'forward' | 'compensate' | 'confirm'): string {
  return phase === 'forward' ? `${participant}.${step}` : phase === 'confirm' ? `${participant}.${step} (confirm)` : `${participant}.${step} (compensation)`;
}

/** Plain code-unit comparison: deterministic, independent of the locale. */
export function compareStrings(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Sorts findings: errors first, then by rule, participant, step, event and message. */
export function sortFindings(findings: readonly VerificationFinding[]): VerificationFinding[] {
  const rank = (f: VerificationFinding): number => FINDING_CODES.indexOf(f.code);
  return [...findings].sort(
    (a, b) =>
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) ||
      rank(a) - rank(b) ||
      compareStrings(a.participant, b.participant) ||
      compareStrings(a.step, b.step) ||
      compareStrings(a.event, b.event) ||
      compareStrings(a.message, b.message),
  );
}
