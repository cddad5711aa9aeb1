import type { IConstruct } from 'constructs';
import { verifyDefinition, type AnySagaDefinition } from '../core/index.js';
import { applyFindings } from './validation.js';

/**
 * Runs lib/core's static verifier at synth time: a definition with error findings (unproduced
 * events, cycles, a step left uncompensated on a failure path …) never deploys; warnings are
 * shown by `cdk synth`.
 */
export function verifyForSynth(scope: IConstruct, def: AnySagaDefinition): void {
  applyFindings(scope, def, verifyDefinition(def));
}
