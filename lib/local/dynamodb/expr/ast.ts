/** A path element: an attribute name (literal, or a `#placeholder`), or a list index. */
export type PathPart = { readonly name: string; readonly placeholder: boolean } | number;

export interface PathNode {
  readonly kind: 'path';
  readonly parts: readonly PathPart[];
}
export interface ValueNode {
  readonly kind: 'value';
  readonly ref: string;
}
/** `size(path)`, `if_not_exists(path, operand)`, `list_append(a, b)`. */
export interface CallNode {
  readonly kind: 'call';
  readonly name: 'size' | 'if_not_exists' | 'list_append';
  readonly args: readonly Operand[];
}
/** `a + b` / `a - b` in a SET action. */
export interface ArithmeticNode {
  readonly kind: 'arith';
  readonly op: '+' | '-';
  readonly left: Operand;
  readonly right: Operand;
}
export type Operand = PathNode | ValueNode | CallNode | ArithmeticNode;

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type ConditionFunction = 'attribute_exists' | 'attribute_not_exists' | 'attribute_type' | 'begins_with' | 'contains';

export type ConditionNode =
  | { readonly kind: 'compare'; readonly op: Comparator; readonly left: Operand; readonly right: Operand }
  | { readonly kind: 'between'; readonly subject: Operand; readonly low: Operand; readonly high: Operand }
  | { readonly kind: 'in'; readonly subject: Operand; readonly list: readonly Operand[] }
  | { readonly kind: 'and' | 'or'; readonly left: ConditionNode; readonly right: ConditionNode }
  | { readonly kind: 'not'; readonly inner: ConditionNode }
  | { readonly kind: 'function'; readonly name: ConditionFunction; readonly args: readonly Operand[] };

export type UpdateAction =
  | { readonly kind: 'SET'; readonly path: PathNode; readonly value: Operand }
  | { readonly kind: 'REMOVE'; readonly path: PathNode }
  | { readonly kind: 'ADD' | 'DELETE'; readonly path: PathNode; readonly value: ValueNode };

/** The placeholders an expression uses, checked against the request and marked used. */
export interface References {
  readonly names: ReadonlySet<string>;
  readonly values: ReadonlySet<string>;
}
