import { readdirSync, readFileSync } from 'node:fs';
import { MAX_DETAIL_BYTES } from '../../lib/core/envelope.js';

/** The bad-input corpus: SQS message bodies, one file each, kept verbatim (some are not even JSON). */
export const BAD_EVENTS_DIR = new URL('../fixtures/bad-events/', import.meta.url);

/**
 * An event of a newer definition version: not bad input (a rolling upgrade in progress), so not in
 * the corpus — it is retried and dead-lettered with its reason, never rejected.
 */
export const FUTURE_VERSION_EVENT = new URL('../fixtures/future-definition-version.json', import.meta.url);

export interface BadEvent {
  readonly name: string;
  readonly body: string;
}

/** Every `*.json` body in the corpus, sorted by name. */
export function loadBadEvents(): BadEvent[] {
  return readdirSync(BAD_EVENTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ''), body: readFileSync(new URL(f, BAD_EVENTS_DIR), 'utf8') }));
}

/**
 * The oversize body is generated rather than committed: a valid-looking OrderRequested whose
 * detail is `extraBytes` over the limit (padding inside the payload).
 */
export function oversizeBody(extraBytes = 1024): BadEvent {
  const template = JSON.parse(readFileSync(FUTURE_VERSION_EVENT, 'utf8')) as { detail: { definitionVersion: number; payload: Record<string, unknown> } };
  template.detail.definitionVersion = 1;
  template.detail.payload.padding = 'x'.repeat(MAX_DETAIL_BYTES + extraBytes);
  return { name: 'oversize-detail', body: JSON.stringify(template) };
}
