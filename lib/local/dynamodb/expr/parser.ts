import { validation } from '../errors.js';
import type { Comparator, ConditionFunction, ConditionNode, Operand, PathNode, PathPart, References, UpdateAction, ValueNode } from './ast.js';
import { syntaxError, tokenize, type ExpressionKind, type Token } from './lexer.js';
import { isReserved } from './reserved.js';

const COMPARATORS: ReadonlySet<string> = new Set(['=', '<>', '<', '<=', '>', '>=']);
const CONDITION_FUNCTIONS: ReadonlySet<string> = new Set(['attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains']);
const KEYWORDS: ReadonlySet<string> = new Set(['AND', 'OR', 'NOT', 'BETWEEN', 'IN']);
const CLAUSES: ReadonlySet<string> = new Set(['SET', 'REMOVE', 'ADD', 'DELETE']);

/**
 * A recursive-descent parser for DynamoDB's expression grammar (conditions, filters, key
 * conditions, updates, projections). Precedence, lowest first: OR, AND, NOT, then comparisons,
 * BETWEEN, IN and functions; parentheses override it. Placeholders are left unresolved in the tree
 * (the tree is cached by expression text) and listed in `refs`.
 */
class Parser {
  private i = 0;
  readonly names = new Set<string>();
  readonly values = new Set<string>();
  private readonly tokens: Token[];

  constructor(
    private readonly text: string,
    private readonly kind: ExpressionKind,
  ) {
    if (text.trim() === '') throw validation(`Invalid ${kind}: The expression can not be empty;`);
    this.tokens = tokenize(text, kind);
  }

  get refs(): References {
    return { names: this.names, values: this.values };
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private isKeyword(token: Token, word: string): boolean {
    return token.kind === 'name' && token.text.toUpperCase() === word;
  }

  fail(token: Token = this.peek()): never {
    const before = this.tokens[this.tokens.indexOf(token) - 1];
    const near = before ? this.text.slice(before.at, token.kind === 'eof' ? this.text.length : token.at + token.text.length) : token.text;
    throw syntaxError(this.kind, token.text, near);
  }

  private expect(text: string): Token {
    const t = this.next();
    if (t.kind !== 'punct' || t.text !== text) this.fail(t);
    return t;
  }

  end(): void {
    if (this.peek().kind !== 'eof') this.fail();
  }

  // ---- conditions -------------------------------------------------------------------------
  condition(): ConditionNode {
    let left = this.conjunction();
    while (this.isKeyword(this.peek(), 'OR')) {
      this.next();
      left = { kind: 'or', left, right: this.conjunction() };
    }
    return left;
  }

  private conjunction(): ConditionNode {
    let left = this.negation();
    while (this.isKeyword(this.peek(), 'AND')) {
      this.next();
      left = { kind: 'and', left, right: this.negation() };
    }
    return left;
  }

  private negation(): ConditionNode {
    if (this.isKeyword(this.peek(), 'NOT')) {
      this.next();
      return { kind: 'not', inner: this.negation() };
    }
    return this.primary();
  }

  private primary(): ConditionNode {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === '(') {
      this.next();
      const inner = this.condition();
      this.expect(')');
      return inner;
    }
    if (t.kind === 'name' && this.peek(1).text === '(' && CONDITION_FUNCTIONS.has(t.text)) {
      this.next();
      return { kind: 'function', name: t.text as ConditionFunction, args: this.arguments() };
    }
    const subject = this.operand();
    const op = this.peek();
    if (op.kind === 'punct' && COMPARATORS.has(op.text)) {
      this.next();
      return { kind: 'compare', op: op.text as Comparator, left: subject, right: this.operand() };
    }
    if (this.isKeyword(op, 'BETWEEN')) {
      this.next();
      const low = this.operand();
      if (!this.isKeyword(this.peek(), 'AND')) this.fail();
      this.next();
      return { kind: 'between', subject, low, high: this.operand() };
    }
    if (this.isKeyword(op, 'IN')) {
      this.next();
      this.expect('(');
      const list = [this.operand()];
      while (this.peek().text === ',') {
        this.next();
        list.push(this.operand());
      }
      this.expect(')');
      if (list.length > 100) throw validation(`Invalid ${this.kind}: The IN operator is provided with too many operands; number of operands: ${list.length}`);
      return { kind: 'in', subject, list };
    }
    if (subject.kind === 'call' && subject.name === 'size') throw validation(`Invalid ${this.kind}: The function is not allowed to be used this way in an expression; function: size`);
    return this.fail(op);
  }

  private arguments(): Operand[] {
    this.expect('(');
    const args: Operand[] = [];
    if (this.peek().text !== ')') {
      args.push(this.updateOperand());
      while (this.peek().text === ',') {
        this.next();
        args.push(this.updateOperand());
      }
    }
    this.expect(')');
    return args;
  }

  /** A condition operand: a path, a value, or `size(path)`. */
  operand(): Operand {
    const t = this.peek();
    if (t.kind === 'name' && this.peek(1).text === '(') {
      if (t.text === 'size') {
        this.next();
        const args = this.arguments();
        if (args.length !== 1) throw validation(`Invalid ${this.kind}: Incorrect number of operands for operator or function; operator or function: size, number of operands: ${args.length}`);
        return { kind: 'call', name: 'size', args };
      }
      if (CONDITION_FUNCTIONS.has(t.text)) throw validation(`Invalid ${this.kind}: The function is not allowed to be used this way in an expression; function: ${t.text}`);
      throw validation(`Invalid ${this.kind}: Invalid function name; function: ${t.text}`);
    }
    if (t.kind === 'value') return this.value();
    return this.path();
  }

  value(): ValueNode {
    const t = this.next();
    if (t.kind !== 'value') this.fail(t);
    this.values.add(t.text);
    return { kind: 'value', ref: t.text };
  }

  path(): PathNode {
    const parts: PathPart[] = [this.pathName()];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'punct' && t.text === '.') {
        this.next();
        parts.push(this.pathName());
      } else if (t.kind === 'punct' && t.text === '[') {
        this.next();
        const n = this.next();
        if (n.kind !== 'number') this.fail(n);
        this.expect(']');
        parts.push(Number(n.text));
      } else break;
    }
    return { kind: 'path', parts };
  }

  private pathName(): PathPart {
    const t = this.next();
    if (t.kind === 'hashName') {
      this.names.add(t.text);
      return { name: t.text, placeholder: true };
    }
    if (t.kind !== 'name' || KEYWORDS.has(t.text.toUpperCase())) this.fail(t);
    if (isReserved(t.text)) throw validation(`Invalid ${this.kind}: Attribute name is a reserved keyword; reserved keyword: ${t.text}`);
    return { name: t.text, placeholder: false };
  }

  // ---- updates ----------------------------------------------------------------------------
  update(): UpdateAction[] {
    const actions: UpdateAction[] = [];
    const seen = new Set<string>();
    while (this.peek().kind !== 'eof') {
      const t = this.next();
      const clause = t.kind === 'name' ? t.text.toUpperCase() : '';
      if (!CLAUSES.has(clause)) this.fail(t);
      if (seen.has(clause)) throw validation(`Invalid UpdateExpression: The "${clause}" section can only be used once in an update expression;`);
      seen.add(clause);
      do {
        if (actions.length && this.peek().text === ',') this.next();
        const path = this.path();
        if (clause === 'SET') {
          this.expect('=');
          actions.push({ kind: 'SET', path, value: this.setValue() });
        } else if (clause === 'REMOVE') actions.push({ kind: 'REMOVE', path });
        else actions.push({ kind: clause as 'ADD' | 'DELETE', path, value: this.value() });
      } while (this.peek().text === ',');
    }
    if (actions.length === 0) this.fail();
    return actions;
  }

  private setValue(): Operand {
    const left = this.updateOperand();
    const op = this.peek();
    if (op.kind === 'punct' && (op.text === '+' || op.text === '-')) {
      this.next();
      return { kind: 'arith', op: op.text, left, right: this.updateOperand() };
    }
    return left;
  }

  /** An update operand: a path, a value, `if_not_exists(path, operand)`, `list_append(a, b)`. */
  private updateOperand(): Operand {
    const t = this.peek();
    if (t.kind === 'name' && this.peek(1).text === '(') {
      if (t.text === 'if_not_exists' || t.text === 'list_append') {
        this.next();
        const args = this.arguments();
        if (args.length !== 2) throw validation(`Invalid ${this.kind}: Incorrect number of operands for operator or function; operator or function: ${t.text}, number of operands: ${args.length}`);
        if (t.text === 'if_not_exists' && args[0]!.kind !== 'path') {
          throw validation(`Invalid ${this.kind}: Operator or function requires a document path; operator or function: if_not_exists`);
        }
        return { kind: 'call', name: t.text, args };
      }
      if (this.kind === 'UpdateExpression') throw validation(`Invalid UpdateExpression: Invalid function name; function: ${t.text}`);
    }
    return this.operand();
  }

  // ---- projections ------------------------------------------------------------------------
  projection(): PathNode[] {
    const paths = [this.path()];
    while (this.peek().text === ',') {
      this.next();
      paths.push(this.path());
    }
    return paths;
  }
}

export interface Parsed<T> {
  readonly tree: T;
  readonly refs: References;
}

const cache = new Map<string, Parsed<unknown>>();
const CACHE_LIMIT = 2000;

/** Parses once per (kind, text): the local cloud sends the same few expressions again and again. */
function cached<T>(kind: ExpressionKind, text: string, parse: (p: Parser) => T): Parsed<T> {
  const key = `${kind}\u0000${text}`;
  const hit = cache.get(key);
  if (hit) return hit as Parsed<T>;
  const parser = new Parser(text, kind);
  const tree = parse(parser);
  parser.end();
  const parsed = { tree, refs: parser.refs };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, parsed);
  return parsed;
}

export const parseConditionTree = (text: string, kind: ExpressionKind): Parsed<ConditionNode> => cached(kind, text, (p) => p.condition());
export const parseUpdateTree = (text: string): Parsed<UpdateAction[]> => cached('UpdateExpression', text, (p) => p.update());
export const parseProjectionTree = (text: string): Parsed<PathNode[]> => cached('ProjectionExpression', text, (p) => p.projection());
