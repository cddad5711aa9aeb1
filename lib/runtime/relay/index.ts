// The relay seam: the table's stream (outbox INSERTs) → EventBridge PutEvents.
export { createRelayHandler, entrySize, PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES, RETRYABLE_ENTRY_ERRORS, type RelayDeps } from './relay.js';
export { relayDepsFromEnv } from './from-env.js';
