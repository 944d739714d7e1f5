import path from 'node:path'
import type { z } from 'zod'
import { fieldPath } from '../elements/define-schema.ts'
import { parseJsonFile } from '../elements/json.ts'
import type { ScanFileSystem } from '../elements/scan.ts'
import { JitError, redact } from '../errors.ts'
import { ownValue } from '../own.ts'
import { isPlaceholderSecret, secretPaths, valueAt } from './secrets.ts'

export type Env = Readonly<Record<string, string | undefined>>

export interface LoadedConfig {
  /** Validated, defaults filled, deeply frozen. Undefined when there are problems. */
  readonly value?: Readonly<Record<string, unknown>>
  /** The file the config was read from, or the file it is expected in when there is none. */
  readonly file: string
  /** The raw text read (empty when there is no file), so that a rebuild can tell what changed. */
  readonly source: string
  readonly secretPaths: readonly string[][]
  /** Values of secret fields (after ${NAME} substitution), for redaction from messages. */
  readonly secretValues: readonly string[]
  readonly problems: readonly JitError[]
}

export interface ConfigInput {
  fullName: string
  dir: string
  files: readonly string[]
  schema?: z.ZodType
  env: Env
  /** Values the runtime sets over the file's (a database override, a sandbox's hosts), given the
   * config as written with placeholders substituted. */
  overrides?: (written: Readonly<Record<string, unknown>>) => Readonly<Record<string, unknown>> | undefined
}

/**
 * Reads an Instance's business config: `<Folder>.json`, else `config.json`; substitutes `${NAME}` and
 * `${NAME:-default}` from the environment; applies runtime overrides; validates against the Type's
 * schema, filling defaults; freezes the result. Every message is free of secret values.
 */
export function loadBusinessConfig(input: ConfigInput, fs: ScanFileSystem): LoadedConfig {
  const name = businessConfigFileName(input.dir, input.files)
  const file = path.join(input.dir, name ?? `${path.basename(input.dir)}.json`)
  const paths = secretPaths(input.schema)
  const where = { file, element: input.fullName }
  const fail = (problems: JitError[], source: string, secretValues: string[] = []): LoadedConfig => ({
    file,
    source,
    secretPaths: paths,
    secretValues,
    problems,
  })

  let source = ''
  let raw: unknown = {}
  if (name) {
    source = fs.readFileSync(file, 'utf8')
    const parsed = parseJsonFile(source, file, 'JIT_CONFIG_MALFORMED', input.fullName)
    if (parsed instanceof JitError) return fail([parsed], source)
    raw = parsed
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail(
      [new JitError('JIT_CONFIG_INVALID', 'the business config must be a JSON object', where)],
      source,
    )
  }

  const missing: JitError[] = []
  const substituted = substituteEnv(raw, input.env, [], (field, variable) => {
    missing.push(
      new JitError(
        'JIT_CONFIG_ENV_MISSING',
        `\${${variable}} is not set in the environment of ${input.fullName}: set ${variable}, or write \${${variable}:-default} for a default`,
        { ...where, field },
      ),
    )
  }) as Record<string, unknown>
  const overrides = input.overrides?.(substituted)
  const merged = overrides ? { ...substituted, ...overrides } : substituted
  const secretValues = paths.map((p) => valueAt(merged, p)).filter((v): v is string => typeof v === 'string')
  if (missing.length > 0) return fail(missing, source, secretValues)

  const problems: JitError[] = []
  for (const secretPath of paths) {
    const value = valueAt(merged, secretPath)
    if (typeof value === 'string' && isPlaceholderSecret(value)) {
      problems.push(
        new JitError(
          'JIT_CONFIG_INVALID',
          'is a secret and holds an empty or placeholder value: put the real value in an environment variable and write "${NAME}" here',
          { ...where, field: fieldPath(secretPath) },
        ),
      )
    }
  }
  if (!input.schema) {
    if (problems.length > 0) return fail(problems, source, secretValues)
    return { file, source, secretPaths: paths, secretValues, problems: [], value: deepFreeze(merged) }
  }
  const checked = input.schema.safeParse(merged)
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const field = fieldPath(issue.path)
      if (problems.some((p) => p.field === field)) continue
      problems.push(
        new JitError('JIT_CONFIG_INVALID', redact(issue.message, secretValues), {
          ...where,
          field: field || undefined,
        }),
      )
    }
  }
  if (problems.length > 0) return fail(problems, source, secretValues)
  return {
    file,
    source,
    secretPaths: paths,
    secretValues,
    problems: [],
    value: deepFreeze(checked.data as Record<string, unknown>),
  }
}

/** The business config file an element folder holds: `<Folder>.json`, else `config.json`, else none. */
export function businessConfigFileName(dir: string, files: readonly string[]): string | undefined {
  const folderFile = `${path.basename(dir)}.json`
  if (files.includes(folderFile)) return folderFile
  if (files.includes('config.json')) return 'config.json'
  return undefined
}

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

function substituteEnv(
  node: unknown,
  env: Env,
  at: string[],
  onMissing: (field: string, variable: string) => void,
): unknown {
  if (typeof node === 'string') {
    if (!node.includes('${')) return node
    return node.replace(PLACEHOLDER, (_, variable: string, fallback: string | undefined) => {
      const value = ownValue(env, variable)
      if (value !== undefined) return value
      if (fallback !== undefined) return fallback
      onMissing(fieldPath(at), variable)
      return ''
    })
  }
  if (Array.isArray(node))
    return node.map((item, i) => substituteEnv(item, env, [...at, String(i)], onMissing))
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(node))
      out[key] = substituteEnv(value, env, [...at, key], onMissing)
    return out
  }
  return node
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
