/**
 * DynamoDB's data model as the engine holds it: the SDK v3 shape of an AttributeValue (binary as
 * `Uint8Array`), so the in-process transport hands values to and from SDK clients without
 * conversion. The HTTP transport converts base64 at its edge.
 */
export type AttributeValue =
  | { readonly S: string }
  | { readonly N: string }
  | { readonly B: Uint8Array }
  | { readonly SS: readonly string[] }
  | { readonly NS: readonly string[] }
  | { readonly BS: readonly Uint8Array[] }
  | { readonly M: { readonly [name: string]: AttributeValue } }
  | { readonly L: readonly AttributeValue[] }
  | { readonly NULL: true }
  | { readonly BOOL: boolean };

/** The ten type descriptors, as `attribute_type` names them. */
export type AttributeType = 'S' | 'N' | 'B' | 'SS' | 'NS' | 'BS' | 'M' | 'L' | 'NULL' | 'BOOL';

/** Key attributes can only be scalars of these three types. */
export type ScalarAttributeType = 'S' | 'N' | 'B';

export type Item = { readonly [name: string]: AttributeValue };

/** A table's or index's key schema: the partition (HASH) attribute and the optional sort (RANGE) one. */
export interface KeySchema {
  readonly hash: string;
  readonly range?: string;
}

/** Operation inputs and outputs are plain JSON-like objects in the SDK's shape. */
export type OperationInput = Record<string, unknown>;
export type OperationOutput = Record<string, unknown>;
