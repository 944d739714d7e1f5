import { api } from './api.ts'
import type { AppSummary, ElementSummary } from './types.ts'

/** What every view reads: the app and its element tree, refetched when the disk changes. */
export const store = {
  app: undefined as AppSummary | undefined,
  elements: [] as ElementSummary[],
  version: -1,
  listeners: new Set<() => void>(),

  async refresh(): Promise<void> {
    const { version, elements } = await api.elements()
    store.version = version
    store.elements = elements
    for (const listener of store.listeners) listener()
  },

  find(fullName: string): ElementSummary | undefined {
    return store.elements.find((element) => element.fullName === fullName)
  },

  /** Calls `listener` after every refresh until the returned function is called. */
  subscribe(listener: () => void): () => void {
    store.listeners.add(listener)
    return () => store.listeners.delete(listener)
  },
}
