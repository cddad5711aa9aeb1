/**
 * The notifier seam: best-effort notification of saga outcomes (最大努力通知). Public names only;
 * the modules behind them are this folder's own.
 */
export { Notifier } from './notifier.js';
export { createNotifierHandler, notifierDepsFromEnv } from './handler.js';
export { checkNotifierOptions, notificationBackoffMs, notifierOptionsFromEnv, signNotification } from './options.js';
export { listFlaggedNotifications, readNotifications } from './records.js';
export { NOTIFICATION_TTL_DAYS } from './types.js';
export type { FetchLike, NotificationAttempt, NotificationEndpoint, NotificationRecord, NotificationState, NotifierDeps, NotifierOptions, OutcomeNotification } from './types.js';
