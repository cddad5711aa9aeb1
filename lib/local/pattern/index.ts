/**
 * Amazon EventBridge event-pattern matcher for the local event bus: validation with actionable
 * errors, and matching with AWS semantics. Pure TypeScript, no dependencies.
 */

export { compilePattern, matchesPattern, validatePattern } from './compile.js';
export { PatternError } from './errors.js';
export type { CompiledPattern } from './types.js';
