/** How the members of a type chain combine (runtime/elements/merge-type-chain.ts). */
import { describe, expect, it } from 'vitest'
import { mergeTypeChain } from '../../runtime/elements/merge-type-chain.ts'
import { defineType, type TypeDefinition } from '../../runtime/index.ts'

const handler = (name: string) => () => name

describe('mergeTypeChain', () => {
  // Element first, Meta last, as a chain is listed.
  const meta = defineType({
    routes: {
      login: { method: 'GET', handler: handler('meta login') },
      callback: { method: 'GET', handler: handler('meta callback') },
    },
    browserConfig: () => ({ from: 'meta' }),
  })
  const middle = defineType({
    routes: { callback: { method: 'POST', handler: handler('middle callback') } },
    page: { pathOf: () => '/middle', render: () => 'middle' },
  })
  const leaf = defineType({
    routes: { extra: { method: 'GET', handler: handler('leaf extra') } },
    page: { pathOf: () => '/leaf', render: () => 'leaf' },
  })
  const merged = mergeTypeChain([leaf, undefined, middle, meta])
  const routeOf = (type: TypeDefinition<any, any>, name: string) => type.routes?.[name]

  it('merges routes action by action, the nearer Type winning an action both declare', () => {
    expect(Object.keys(merged.routes ?? {}).sort()).toEqual(['callback', 'extra', 'login'])
    expect(routeOf(merged, 'login')?.handler({} as never)).toBe('meta login')
    expect(routeOf(merged, 'callback')?.method).toBe('POST')
    expect(routeOf(merged, 'extra')?.handler({} as never)).toBe('leaf extra')
  })

  it('replaces every other member whole, and inherits what the nearer Types leave out', () => {
    expect(merged.page?.pathOf({})).toBe('/leaf')
    expect(merged.browserConfig?.(undefined)).toEqual({ from: 'meta' })
  })

  it('changes none of the definitions it merges, and hands back a frozen result', () => {
    expect(Object.keys(meta.routes ?? {})).toEqual(['login', 'callback'])
    expect(Object.keys(leaf.routes ?? {})).toEqual(['extra'])
    expect(Object.isFrozen(merged)).toBe(true)
    expect(Object.isFrozen(merged.routes)).toBe(true)
  })

  it('has no action for a name every object has', () => {
    expect(routeOf(merged, 'constructor')).toBeUndefined()
    expect(routeOf(merged, '__proto__')).toBeUndefined()
  })

  it('gives a chain without routes no routes member', () => {
    expect(mergeTypeChain([defineType({ load: () => 1 }), undefined]).routes).toBeUndefined()
  })
})
