import type { TypeDefinition } from '../define.ts'

/**
 * Members that are records of named entries: merged entry by entry along the chain, so a Type that
 * adds an action keeps its Meta's `login` and `callback`. Every other member is replaced whole.
 */
const MERGED_BY_KEY = ['routes'] as const

/**
 * The effective definition of a type chain, given each link's own definition from the element itself
 * to its Meta (a link without code is undefined). A nearer link's member wins over a farther one's.
 */
export function mergeTypeChain(
  definitions: readonly (TypeDefinition<any, any> | undefined)[],
): TypeDefinition<any, any> {
  const merged: Record<string, unknown> = {}
  for (let i = definitions.length - 1; i >= 0; i--) {
    const own = definitions[i]
    if (own) Object.assign(merged, own)
  }
  for (const member of MERGED_BY_KEY) {
    if (merged[member] === undefined) continue
    // No prototype: an action is looked up by a name from the URL, and `constructor` is not one.
    const entries: Record<string, unknown> = Object.create(null)
    for (let i = definitions.length - 1; i >= 0; i--) {
      const own = definitions[i]?.[member]
      if (own) Object.assign(entries, own)
    }
    merged[member] = Object.freeze(entries)
  }
  return Object.freeze(merged) as TypeDefinition<any, any>
}
