import type { z } from 'zod'

const secretSchemas = new WeakSet<object>()

/**
 * Marks a config field as secret: it is never sent to a browser, never logged, redacted from every
 * error message and listing, and an empty or placeholder value is refused.
 *
 * @example
 * const config = z.object({ appId: z.string(), appSecret: secret(z.string()) })
 */
export function secret<T extends z.ZodType>(schema: T): T {
  secretSchemas.add(schema)
  return schema
}

/** Whether `schema` itself was marked with `secret()`. */
export function isSecretSchema(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && secretSchemas.has(schema)
}

/** The paths (as key lists) of every secret field in an object schema, looking through wrappers. */
export function secretPaths(schema: z.ZodType | undefined): string[][] {
  const paths: string[][] = []
  if (schema) collect(schema, [], paths, 0)
  return paths
}

function collect(schema: z.ZodType, at: string[], out: string[][], depth: number): void {
  if (depth > 16) return
  if (secretSchemas.has(schema)) {
    out.push(at)
    return
  }
  const def = (schema as unknown as { _zod: { def: Record<string, any> } })._zod.def
  switch (def.type) {
    case 'object':
      for (const [key, child] of Object.entries(def.shape as Record<string, z.ZodType>)) {
        collect(child, [...at, key], out, depth + 1)
      }
      return
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      collect(def.innerType, at, out, depth + 1)
      return
    case 'pipe':
      collect(def.in, at, out, depth + 1)
      return
  }
}

/** Reads the value at `path` in a plain object tree. */
export function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

const PLACEHOLDER =
  /^(?:your[_\- ].*|.*[_\- ]here|change[_\- ]?me|placeholder|replace[_\- ]?me|todo|tbd|secret|password|x{3,}|\*{3,}|<[^>]*>|\.{3,})$/i

/** True for values people leave in a config file meaning "fill this in later". */
export function isPlaceholderSecret(value: string): boolean {
  return value.trim() === '' || PLACEHOLDER.test(value.trim())
}

/** A copy of `config` without its secret fields: what may be shown in listings or sent to a browser. */
export function withoutSecrets<T>(config: T, paths: readonly string[][]): T {
  if (paths.length === 0 || config === null || typeof config !== 'object') return config
  const copy = structuredClone(config) as Record<string, unknown>
  for (const path of paths) {
    let node: Record<string, unknown> | undefined = copy
    for (const key of path.slice(0, -1)) {
      const next: unknown = node?.[key]
      node = next !== null && typeof next === 'object' ? (next as Record<string, unknown>) : undefined
    }
    if (node) delete node[path[path.length - 1]]
  }
  return copy as T
}
