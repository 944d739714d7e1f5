import path from 'node:path'
import type { ScanFileSystem } from './scan.ts'

type Listing = ReturnType<ScanFileSystem['readdirSync']>

/**
 * A ScanFileSystem that remembers the folder listings and files it read. A hot reload told which
 * paths changed forgets just those, so rebuilding an app of thousands of elements after one edit reads
 * one file instead of all of them. Failed reads are not remembered.
 */
export class CachingFileSystem implements ScanFileSystem {
  private readonly listings = new Map<string, Listing>()
  private readonly texts = new Map<string, string>()

  constructor(private readonly fs: ScanFileSystem) {}

  readdirSync(dir: string, options: { withFileTypes: true }): Listing {
    const cached = this.listings.get(dir)
    if (cached) return cached
    const listing = this.fs.readdirSync(dir, options)
    this.listings.set(dir, listing)
    return listing
  }

  readFileSync(file: string, encoding: 'utf8'): string {
    const cached = this.texts.get(file)
    if (cached !== undefined) return cached
    const text = this.fs.readFileSync(file, encoding)
    this.texts.set(file, text)
    return text
  }

  /**
   * Forgets what a change at each path may have changed: the path itself, everything under it (a
   * folder removed or renamed), and the listing of the folder holding it (an entry added or removed).
   */
  invalidate(paths: Iterable<string>): void {
    for (const changed of paths) {
      const resolved = path.resolve(changed)
      const under = resolved + path.sep
      this.texts.delete(resolved)
      this.listings.delete(resolved)
      this.listings.delete(path.dirname(resolved))
      for (const key of this.texts.keys()) if (key.startsWith(under)) this.texts.delete(key)
      for (const key of this.listings.keys()) if (key.startsWith(under)) this.listings.delete(key)
    }
  }
}
