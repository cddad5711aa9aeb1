import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Annotations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { allReactions, isTccStep, type AnySagaDefinition } from '../core/index.js';

/** The factory a participant with a TCC step must build its handler with (saga-choreography/runtime). */
export const TCC_HANDLER_FACTORY = 'createTccParticipantHandler';

/**
 * Warns at synth when a participant with a TCC step has an entry file that never names
 * `createTccParticipantHandler`: `createParticipantHandler` leaves the confirm/cancel phases out of
 * the bundle and refuses such a participant at cold start, and the local cloud (which runs the step
 * implementations, not the entry) cannot show it. A warning, not an error: an entry may get its
 * handler through a module of its own.
 */
export function warnOnTccEntry(scope: IConstruct, def: AnySagaDefinition, participant: string, entry: string): void {
  const tccSteps = [...new Set(allReactions(def).filter((r) => r.participant === participant && isTccStep(r.spec)).map((r) => r.step))];
  if (tccSteps.length === 0) return;
  let source: string;
  try {
    source = readFileSync(resolve(entry), 'utf8');
  } catch {
    return; // the bundler reports a missing entry with its own error
  }
  if (source.includes(TCC_HANDLER_FACTORY)) return;
  Annotations.of(scope).addWarningV2(
    'saga-choreography:tcc-entry',
    `Participant "${participant}" has TCC step(s) ${tccSteps.map((s) => `"${s}"`).join(', ')}, but its entry ${entry} does not mention ${TCC_HANDLER_FACTORY}: a handler made with createParticipantHandler refuses a TCC participant at cold start. Create it with ${TCC_HANDLER_FACTORY} (same arguments).`,
  );
}
