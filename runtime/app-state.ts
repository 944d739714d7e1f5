import type { ResolvedElement } from './elements/element-state.ts'
import type { AppDefinition } from './elements/generation.ts'

/**
 * The key of a running app's internal state, fastify-style: the HTTP and reload layers read the app
 * through it, and it is not part of jitlite's public API (the symbol is not exported from `jitlite`).
 */
export const kState: unique symbol = Symbol('jitlite.state')

/** What the runtime's own layers may read of a running app. */
export interface AppState {
  /** The element reached by `fullName` in the definition serving now. */
  resolve(fullName: string): ResolvedElement | undefined
  /**
   * The definition serving now. A reload may replace it at any await: a request that looks up more
   * than one thing reads it once and asks it everything.
   */
  readonly definition: AppDefinition
}
