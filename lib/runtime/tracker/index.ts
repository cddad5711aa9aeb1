// The tracker seam: every event of a saga → its saga record (status, timeline, the open-sagas index).
export { createTrackerHandler, TRACKER_CONSUMER, type TrackerDeps } from './tracker.js';
export { trackerDepsFromEnv } from './from-env.js';
