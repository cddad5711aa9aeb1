import type { AttributeValue, Item } from './types.js';

/**
 * Copies values at the engine's edge: what a caller passes in may be mutated by the caller later,
 * and what we hand out may be mutated by them too; stored items must not change behind our back.
 */
export function cloneValue(value: AttributeValue): AttributeValue {
  if ('S' in value || 'N' in value || 'BOOL' in value || 'NULL' in value) return value;
  if ('B' in value) return { B: new Uint8Array(value.B) };
  if ('SS' in value) return { SS: [...value.SS] };
  if ('NS' in value) return { NS: [...value.NS] };
  if ('BS' in value) return { BS: value.BS.map((b) => new Uint8Array(b)) };
  if ('L' in value) return { L: value.L.map(cloneValue) };
  if ('M' in value) return { M: cloneItem(value.M) };
  return value;
}

export function cloneItem(item: Item): Item {
  const out: Record<string, AttributeValue> = {};
  for (const name in item) out[name] = cloneValue(item[name]!);
  return out;
}
