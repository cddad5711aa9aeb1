import { validation } from '../errors.js';
import type { AttributeValue } from '../types.js';
import type { References } from './ast.js';
import type { ExpressionKind } from './lexer.js';

export interface ExpressionInput {
  readonly names?: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, AttributeValue>>;
}

/**
 * The `#name` / `:value` placeholders of one request, shared by all its expressions: each
 * expression checks that what it uses is defined, and at the end every defined one must have been
 * used — DynamoDB refuses unused placeholders too.
 */
export class ExpressionUsage {
  readonly names: Readonly<Record<string, string>>;
  readonly values: Readonly<Record<string, AttributeValue>>;
  private readonly usedNames = new Set<string>();
  private readonly usedValues = new Set<string>();
  private expressions = 0;

  constructor(input: ExpressionInput = {}) {
    if (input.names !== undefined && Object.keys(input.names).length === 0) throw validation('ExpressionAttributeNames must not be empty');
    if (input.values !== undefined && Object.keys(input.values).length === 0) throw validation('ExpressionAttributeValues must not be empty');
    for (const key of Object.keys(input.names ?? {})) if (!/^#[A-Za-z0-9_]+$/.test(key)) throw validation(`ExpressionAttributeNames contains invalid key: Syntax error; key: "${key}"`);
    for (const key of Object.keys(input.values ?? {})) if (!/^:[A-Za-z0-9_]+$/.test(key)) throw validation(`ExpressionAttributeValues contains invalid key: Syntax error; key: "${key}"`);
    this.names = input.names ?? {};
    this.values = input.values ?? {};
  }

  /** Marks an expression's placeholders used, failing on one the request does not define. */
  use(refs: References, kind: ExpressionKind): void {
    this.expressions++;
    for (const name of refs.names) {
      if (this.names[name] === undefined) throw validation(`Invalid ${kind}: An expression attribute name used in the document path is not defined; attribute name: ${name}`);
      this.usedNames.add(name);
    }
    for (const value of refs.values) {
      if (this.values[value] === undefined) throw validation(`Invalid ${kind}: An expression attribute value used in expression is not defined; attribute value: ${value}`);
      this.usedValues.add(value);
    }
  }

  /** Fails, as DynamoDB does, when the request defines placeholders no expression used. */
  assertAllUsed(): void {
    const names = Object.keys(this.names);
    const values = Object.keys(this.values);
    if (this.expressions === 0) {
      if (names.length) throw validation('ExpressionAttributeNames can only be specified when using expressions');
      if (values.length) throw validation('ExpressionAttributeValues can only be specified when using expressions');
      return;
    }
    const unusedNames = names.filter((n) => !this.usedNames.has(n));
    if (unusedNames.length) throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`);
    const unusedValues = values.filter((v) => !this.usedValues.has(v));
    if (unusedValues.length) throw validation(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`);
  }
}
