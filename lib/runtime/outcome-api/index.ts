// The outcome query API seam: a receiver's signed request → its own sagas' outcomes.
export {
  createOutcomeApiHandler,
  DEFAULT_MAX_SKEW_SECONDS,
  OUTCOME_AUTH_SCHEME,
  outcomeApiDepsFromEnv,
  outcomeCanonicalRequest,
  signOutcomeRequest,
  type OutcomeApiDeps,
  type SagaOutcome,
} from './outcome-api.js';
