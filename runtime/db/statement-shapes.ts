/**
 * Compiled statement shapes. A model call's SQL depends only on its shape (which columns, which filter
 * operators), so a shape is built with kysely once, with numbered stand-ins for its values, compiled,
 * and reused with new values: the per-call cost is binding parameters, not building and compiling.
 */
import type { Compilable } from 'kysely'

/** Stands for the value at `index` while a shape is compiled. */
class Slot {
  constructor(readonly index: number) {}
}

/** Gives the stand-in for value `index`; pass it wherever a value goes in the kysely builder. */
export type SlotOf = (index: number) => unknown

export interface CompiledShape {
  readonly sql: string
  /** Per SQL parameter: the index of the value it takes, or a constant kysely put there itself. */
  readonly parameters: readonly (number | { constant: unknown })[]
}

/**
 * Shapes by key, the oldest dropped beyond `capacity`.
 *
 * @example
 * const shapes = new ShapeCache(200)
 * const { sql, parameters } = shapes.bind('delete', [42], (slot) => db.deleteFrom('notes').where('id', '=', slot(0)))
 */
export class ShapeCache {
  readonly #shapes = new Map<string, CompiledShape>()
  readonly #capacity: number

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  /** The SQL of shape `key` (built by `build` on first use) and its parameters for `values`. */
  bind(key: string, values: readonly unknown[], build: (slot: SlotOf) => Compilable) {
    let shape = this.#shapes.get(key)
    if (!shape) {
      shape = compileShape(build(slot))
      if (this.#shapes.size >= this.#capacity) this.#shapes.delete(this.#shapes.keys().next().value as string)
      this.#shapes.set(key, shape)
    }
    return { sql: shape.sql, parameters: bindShape(shape, values) }
  }
}

/** The parameters of `shape` for `values`. */
export function bindShape(shape: CompiledShape, values: readonly unknown[]): unknown[] {
  return shape.parameters.map((p) => (typeof p === 'number' ? values[p] : p.constant))
}

/** Stands for the i-th value a call passes, wherever a value goes in a kysely builder. */
export const slot: SlotOf = (index) => new Slot(index)

/**
 * Compiles a query built with `slot`s into a shape, to run again and again with `bindShape`.
 *
 * @example
 * const byId = compileShape(db.selectFrom('notes').selectAll().where('id', '=', slot(0)))
 * await database.runCompiled(byId.sql, bindShape(byId, [42]))
 */
export function compileShape(query: Compilable): CompiledShape {
  const compiled = query.compile()
  return {
    sql: compiled.sql,
    parameters: compiled.parameters.map((p) => (p instanceof Slot ? p.index : { constant: p })),
  }
}
