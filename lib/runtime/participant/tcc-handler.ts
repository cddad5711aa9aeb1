import type { AnySagaDefinition, ParticipantNameOf } from '../../core/definition.js';
import { participantHandler, type ParticipantDeps, type ParticipantHandler } from './handler.js';
import type { StepImplementations } from './step-types.js';
import { runTccSecondPhase } from './tcc.js';

/**
 * Creates the Lambda handler of a participant that has TCC steps (a step with a `confirmation`):
 * `createParticipantHandler` plus the confirm and cancel phases of those steps
 * (lib/runtime/participant/tcc.ts). A factory of its own so that only the entries that import it
 * bundle the TCC phase code (≈ 5 KB); it serves participants without TCC steps too.
 *
 * @example
 * ```ts
 * import { createTccParticipantHandler } from 'saga-choreography/runtime';
 *
 * export const handler = createTccParticipantHandler(orderSaga, 'points', {
 *   freezePoints: {
 *     forward(ctx) { ...; ctx.remember({ points }); return ctx.done(ctx.emit('PointsFrozen', { ... })); }, // try
 *     confirm(ctx) { ...; return ctx.done(); },    // spend what ctx.reserved holds
 *     compensate(ctx) { ...; return ctx.done(); }, // cancel: unfreeze (a null cancel when ctx.forward is absent)
 *   },
 * });
 * ```
 */
export function createTccParticipantHandler<D extends AnySagaDefinition, P extends ParticipantNameOf<D>>(
  def: D,
  participant: P,
  steps: StepImplementations<D, P>,
  deps?: ParticipantDeps,
): ParticipantHandler {
  return participantHandler(def, participant, steps, deps, runTccSecondPhase);
}
