import type { FaultPlan } from '../../lib/local/faults.js';

/** The fault levels of the acceptance check (`saga simulate … --duplicate 0.1 --reorder …`), used by the soak and the bench. */
export const ACCEPTANCE_FAULTS: FaultPlan = {
  duplicate: 0.1,
  reorder: 1,
  crashBeforeCommit: 0.03,
  crashAfterCommit: 0.03,
  publishFailure: 0.03,
  throttle: 0.03,
  poison: 0.01,
  stall: 0.01,
};
