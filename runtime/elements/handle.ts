import { inspect } from 'node:util'
import type { Generation } from './generation.ts'

/**
 * A stable handle to an element: the object a script holds keeps working across hot reloads,
 * forwarding every property read to the element's object in the current generation. A method call
 * runs on the generation current when it starts, and counts as in flight there until it settles.
 */
export function createHandle(fullName: string, current: () => Generation): any {
  const bound = new WeakMap<object, Map<PropertyKey, Function>>()
  const target = () => {
    const generation = current()
    return { generation, object: generation.load(fullName) }
  }
  return new Proxy(Object.create(null), {
    get(_, property) {
      // A handle is not a thenable: `await app.getElement(...)` must give the handle itself.
      if (property === 'then') return undefined
      if (property === inspect.custom) return () => `[Element ${fullName}]`
      if (property === Symbol.toStringTag) return 'Element'
      const { generation, object } = target()
      if (object === null || (typeof object !== 'object' && typeof object !== 'function')) {
        return (object as any)?.[property]
      }
      const value = Reflect.get(object, property, object)
      if (typeof value !== 'function') return value
      let methods = bound.get(object)
      if (!methods) {
        methods = new Map()
        bound.set(object, methods)
      }
      let method = methods.get(property)
      if (!method) {
        method = (...args: unknown[]) => generation.track(() => value.apply(object, args))
        methods.set(property, method)
      }
      return method
    },
    has(_, property) {
      return Reflect.has(target().object, property)
    },
    ownKeys() {
      return Reflect.ownKeys(target().object)
    },
    getOwnPropertyDescriptor(_, property) {
      const descriptor = Reflect.getOwnPropertyDescriptor(target().object, property)
      return descriptor && { ...descriptor, configurable: true }
    },
    set() {
      return false
    },
  })
}
