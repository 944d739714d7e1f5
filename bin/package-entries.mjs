// Where `jitlite` and its subpaths (`jitlite/http`, `jitlite/types/...`) lead, read from package.json's
// `exports`: the one list of entry points, shared by the `jit` resolve hook and vitest's aliases.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const packageRoot = new URL('../', import.meta.url)
const { exports: entries } = JSON.parse(readFileSync(new URL('package.json', packageRoot), 'utf8'))

/** The file an export entry names for code that runs: a string, or the `import`/`default` condition. */
function runnableTarget(entry) {
  if (typeof entry === 'string') return entry
  if (entry && typeof entry === 'object') return entry.import ?? entry.node ?? entry.default
  return undefined
}

/** `./x` keys of `exports` and the runnable file each names (type-only entries left out). */
const PACKAGE_ENTRIES = Object.entries(entries).flatMap(([key, entry]) => {
  const target = runnableTarget(entry)
  return typeof target === 'string' ? [{ key, target }] : []
})

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The same entry points as vite aliases (vitest), `./prefix/*` patterns as regular expressions. */
export function packageAliases() {
  return PACKAGE_ENTRIES.map(({ key, target }) => {
    // './types/*/type.ts' is the specifier 'jitlite/types/' + anything + '/type.ts'.
    const [before, after] = `jitlite${key.slice(1)}`.split('*')
    if (after === undefined)
      return { find: new RegExp(`^${escapeRegExp(before)}$`), replacement: filePath(target) }
    const [into, rest] = target.split('*')
    return {
      find: new RegExp(`^${escapeRegExp(before)}(.+)${escapeRegExp(after)}$`),
      replacement: `${filePath(into)}$1${rest}`,
    }
  })
}

const filePath = (target) => fileURLToPath(new URL(target, packageRoot))

/**
 * The file URL a `jitlite` specifier resolves to, or undefined when `exports` names no such subpath.
 * Exact keys first, then `./prefix/*` patterns, as Node resolves them.
 */
export function resolvePackageSpecifier(specifier) {
  const key = specifier === 'jitlite' ? '.' : `./${specifier.slice('jitlite/'.length)}`
  const exact = PACKAGE_ENTRIES.find((entry) => entry.key === key)
  if (exact) return new URL(exact.target, packageRoot).href
  for (const { key: pattern, target } of PACKAGE_ENTRIES) {
    const star = pattern.indexOf('*')
    if (star < 0) continue
    const prefix = pattern.slice(0, star)
    const suffix = pattern.slice(star + 1)
    if (key.length < prefix.length + suffix.length || !key.startsWith(prefix) || !key.endsWith(suffix))
      continue
    const matched = key.slice(prefix.length, key.length - suffix.length)
    return new URL(target.replace('*', matched), packageRoot).href
  }
  return undefined
}
