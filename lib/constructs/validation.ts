import { Annotations, Duration, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { participantNames, type AnySagaDefinition } from '../core/index.js';
import { SagaConstructError } from './errors.js';

/**
 * Eager props validation shared by the constructs. Every check throws {@link SagaConstructError}
 * with the construct path, the prop, the bad value and what is allowed. Values that are tokens
 * (unresolved until deploy time) are skipped: they cannot be checked at synth.
 */

const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/** Fails unless `value` is an integer in [min, max]. */
export function checkInteger(scope: IConstruct, prop: string, value: number, min: number, max: number, hint = ''): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SagaConstructError(
      `${scope.node.path}: ${prop} must be an integer from ${min} to ${max}, got ${show(value)}.${hint ? ` ${hint}` : ''}`,
      { path: scope.node.path, prop, value },
    );
  }
}

/** Fails unless `value` lies in [min, max] (whole seconds). */
export function checkDuration(scope: IConstruct, prop: string, value: Duration, min: Duration, max: Duration, hint = ''): void {
  if (value.isUnresolved()) return;
  const s = value.toSeconds();
  if (s < min.toSeconds() || s > max.toSeconds()) {
    throw new SagaConstructError(
      `${scope.node.path}: ${prop} must be between ${min.toHumanString()} and ${max.toHumanString()}, got ${value.toHumanString()}.${hint ? ` ${hint}` : ''}`,
      { path: scope.node.path, prop, value: value.toHumanString() },
    );
  }
}

/** Fails unless `value` is a whole number of seconds (it is written to an environment variable in seconds). */
export function checkWholeSeconds(scope: IConstruct, prop: string, value: Duration): void {
  if (value.isUnresolved()) return;
  const s = value.toSeconds({ integral: false });
  if (!Number.isInteger(s)) {
    throw new SagaConstructError(`${scope.node.path}: ${prop} must be a whole number of seconds, got ${value.toHumanString()} (${s} seconds).`, {
      path: scope.node.path,
      prop,
      value: s,
    });
  }
}

/** Fails unless `def` is a definition produced by `defineSaga` (catches plain objects and undefined). */
export function checkDefinitionShape(scope: IConstruct, def: AnySagaDefinition | undefined): AnySagaDefinition {
  if (!def || (def as { kind?: unknown }).kind !== 'saga-definition') {
    throw new SagaConstructError(
      `${scope.node.path}: "definition" must be a saga definition created with defineSaga(...) from lib/core, got ${def === undefined ? 'undefined' : typeof def}.`,
      { path: scope.node.path, prop: 'definition' },
    );
  }
  return def;
}

/** Fails unless `participant` is one of the definition's participants; the message lists them. */
export function checkParticipant(scope: IConstruct, def: AnySagaDefinition, participant: string): void {
  const allowed = participantNames(def);
  if (!allowed.includes(participant)) {
    throw new SagaConstructError(
      `${scope.node.path}: participant ${show(participant)} is not in saga "${def.name}". Allowed participants: ${allowed.map(show).join(', ')}. ` +
        `Fix the name or add the participant to the definition.`,
      { path: scope.node.path, prop: 'participant', value: participant, allowed },
    );
  }
}

/** One finding of the static verifier, as `lib/core`'s `verifyDefinition` returns them. */
export interface DefinitionFinding {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly code?: string;
}

/**
 * Applies verifier findings: errors fail synth with all messages; warnings become CDK warnings on
 * the construct (shown by `cdk synth`, fatal with `--strict`).
 */
export function applyFindings(scope: IConstruct, def: AnySagaDefinition, findings: readonly DefinitionFinding[]): void {
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    throw new SagaConstructError(
      `${scope.node.path}: saga definition "${def.name}" does not verify (${errors.length} error${errors.length === 1 ? '' : 's'}):\n` +
        errors.map((f) => `  - ${f.code ? `[${f.code}] ` : ''}${f.message}`).join('\n') +
        `\nFix the definition; run the verifier (verifyDefinition in lib/core) to see every finding.`,
      { path: scope.node.path, prop: 'definition', findings: errors },
    );
  }
  for (const w of findings.filter((f) => f.severity === 'warning')) {
    Annotations.of(scope).addWarningV2(`saga-choreography:verify:${w.code ?? 'warning'}`, w.message);
  }
}
