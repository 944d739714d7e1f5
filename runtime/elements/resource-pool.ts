interface PooledResource {
  value: unknown
  holders: Set<number>
  dispose: (value: any) => void | Promise<void>
}

/** Resources shared across generations (database connections), released when no generation holds them. */
export class ResourcePool {
  private readonly entries = new Map<string, PooledResource>()

  acquire<T>(key: string, holder: number, create: () => T, dispose: (value: T) => void | Promise<void>): T {
    let entry = this.entries.get(key)
    if (!entry) {
      entry = { value: create(), holders: new Set(), dispose }
      this.entries.set(key, entry)
    }
    entry.holders.add(holder)
    return entry.value as T
  }

  async release(key: string, holder: number): Promise<void> {
    const entry = this.entries.get(key)
    if (!entry) return
    entry.holders.delete(holder)
    if (entry.holders.size > 0) return
    this.entries.delete(key)
    await entry.dispose(entry.value)
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()]
    this.entries.clear()
    for (const entry of all) await entry.dispose(entry.value)
  }
}
