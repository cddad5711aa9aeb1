import type { AnySagaDefinition } from './definition.js';

/**
 * Where a definition was made: the module that called `defineSaga`, recorded on the definition
 * under this symbol (not enumerable, so it never shows in comparisons or JSON). The CDK constructs
 * read it to bundle the framework's own functions (relay, tracker, reconciler, notifier) with the
 * user's definition without a user-written entry file — the way `NodejsFunction` finds its
 * default entry from the calling file. `Symbol.for`, so two copies of the package agree.
 */
const DEFINED_IN = Symbol.for('saga-choreography.definedIn');

/** A V8 stack frame's location: `(file:///x/y.ts:3:7)`, `(/x/y.js:3:7)` or bare `file:///x/y.ts:3:7`. */
const FRAME_LOCATION = /\(?((?:file:\/\/|\/|[A-Za-z]:[\\/])[^()]*?):\d+:\d+\)?\s*$/;

/**
 * The file of the first stack frame above `below` (a function on the stack): a path or a
 * `file:` URL, exactly as the runtime reports it. `undefined` when the stack says nothing usable
 * (stack traces off, an eval, a bundle without file names).
 */
export function callerFile(below: (...args: never[]) => unknown): string | undefined {
  // V8 (Node, Lambda) only; elsewhere the location is simply unknown.
  if (typeof Error.captureStackTrace !== 'function') return undefined;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, below);
  for (const line of (holder.stack ?? '').split('\n').slice(1)) {
    const match = FRAME_LOCATION.exec(line.trim());
    if (match?.[1] && !match[1].startsWith('node:')) return match[1];
  }
  return undefined;
}

/** Records where `def` was made (see {@link definedIn}); returns `def`. */
export function recordDefinedIn<D extends object>(def: D, location: string | undefined): D {
  if (location !== undefined) Object.defineProperty(def, DEFINED_IN, { value: location, enumerable: false });
  return def;
}

/**
 * The module that made `def` with `defineSaga` (a path or a `file:` URL), if the stack told.
 *
 * @example
 * ```ts
 * definedIn(orderSaga); // 'file:///app/src/order-saga.ts'
 * ```
 */
export function definedIn(def: AnySagaDefinition): string | undefined {
  const value = (def as { [DEFINED_IN]?: unknown })[DEFINED_IN];
  return typeof value === 'string' ? value : undefined;
}
