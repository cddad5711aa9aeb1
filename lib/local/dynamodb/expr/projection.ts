import type { AttributeValue, Item } from '../types.js';
import { getPath, type ResolvedPath } from './evaluate.js';

type Node = { kind: 'leaf'; value: AttributeValue } | { kind: 'map'; children: Map<string, Node> } | { kind: 'list'; children: Map<number, Node> };

/**
 * The attributes a projection keeps, nested as in the item: `a.b` gives `{ a: { M: { b } } }`,
 * list elements picked by index come back as a list in index order, missing paths are left out.
 */
export function project(item: Item, paths: readonly ResolvedPath[]): Item {
  const root = new Map<string, Node>();
  for (const path of paths) {
    const value = getPath(item, path);
    if (value === undefined) continue;
    let children: Map<string | number, Node> = root as Map<string | number, Node>;
    for (let i = 0; i < path.length - 1; i++) {
      const part = path[i]!;
      const nextIsIndex = typeof path[i + 1] === 'number';
      let node = children.get(part);
      if (!node) {
        node = nextIsIndex ? { kind: 'list', children: new Map() } : { kind: 'map', children: new Map() };
        children.set(part, node);
      }
      if (node.kind === 'leaf') break;
      children = node.children as Map<string | number, Node>;
    }
    children.set(path[path.length - 1]!, { kind: 'leaf', value });
  }
  const build = (node: Node): AttributeValue => {
    if (node.kind === 'leaf') return node.value;
    if (node.kind === 'map') return { M: Object.fromEntries([...node.children].map(([k, v]) => [k, build(v)])) };
    return { L: [...node.children].sort(([a], [b]) => a - b).map(([, v]) => build(v)) };
  };
  const out: Record<string, AttributeValue> = {};
  for (const [name, node] of root) out[name] = build(node);
  return out;
}
