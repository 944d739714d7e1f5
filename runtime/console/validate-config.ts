import path from 'node:path'
import type { z } from 'zod'
import { type Env, type LoadedConfig, loadBusinessConfig } from '../config/load.ts'
import { secretPaths, valueAt } from '../config/secrets.ts'
import { fieldPath } from '../elements/define-schema.ts'
import type { ScanFileSystem } from '../elements/scan.ts'
import type { JsonSchema } from './config-schema.ts'
import { jsonText } from './files.ts'
import { isPureRef, keepUnchangedSecrets, secretRef } from './secret-fields.ts'

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export interface ConfigDraft {
  /** fullName and folder of the Instance (it may not exist yet). */
  fullName: string
  dir: string
  schema: z.ZodType | undefined
  jsonSchema: JsonSchema
  /** The config the form sent. */
  config: unknown
  /** Values for the environment variables secret fields name, to store in the app's .env. */
  secretValues?: unknown
  /** The config file as it is now (an edit): its keys stay, its secrets stay when sent back masked. */
  current?: Record<string, unknown>
  env: Env
  /** Whether a variable comes from the real environment, which wins over a value stored in .env. */
  isRealVariable?: (name: string) => boolean
  /** The runtime's overrides (jit dev: the sandbox's hosts), so that a check reaches what the app reaches. */
  overrides?: (written: Readonly<Record<string, unknown>>) => Readonly<Record<string, unknown>> | undefined
}

type LoadedWithValue = LoadedConfig & { value: Readonly<Record<string, unknown>> }

export type CheckedDraft =
  | {
      ok: true
      /** What the config file is to hold. */
      written: Record<string, unknown>
      /** The config as the app will see it: placeholders substituted, defaults filled. */
      loaded: LoadedWithValue
      secretValues: Record<string, string>
    }
  | { ok: false; fieldErrors: Record<string, string> }

/**
 * Validates a config from the console or `jit new` exactly as the runtime will read it (the same
 * loader, schema, placeholder and secret rules), plus the writer's own rule: a secret field holds a
 * `${NAME}` reference, never a value. Nothing here writes.
 */
export function validateDraft(draft: ConfigDraft): CheckedDraft {
  const fieldErrors: Record<string, string> = {}
  if (draft.config === null || typeof draft.config !== 'object' || Array.isArray(draft.config)) {
    return { ok: false, fieldErrors: { '': 'the config must be a JSON object' } }
  }
  const paths = secretPaths(draft.schema)
  const sent = keepUnchangedSecrets(draft.config as Record<string, unknown>, draft.current, paths)
  const written = compact(sent, draft.jsonSchema, draft.current)

  const referenced = new Set<string>()
  for (const at of paths) {
    const value = valueAt(written, at)
    const before = draft.current && valueAt(draft.current, at)
    if (value === undefined || (value === before && before !== undefined)) {
      const ref = secretRef(value)
      if (ref) referenced.add(ref)
      continue
    }
    if (!isPureRef(value)) {
      fieldErrors[fieldPath(at)] =
        "is a secret: write a reference to an environment variable, such as ${WECHAT_APP_SECRET}, and keep its value in the environment or the app's .env, never in the JSON file"
      continue
    }
    referenced.add(secretRef(value)!)
  }

  const secretValues: Record<string, string> = {}
  const given = draft.secretValues ?? {}
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    fieldErrors[''] = 'secretValues must map environment variable names to values'
  } else {
    for (const [name, value] of Object.entries(given)) {
      if (!ENV_NAME.test(name) || !referenced.has(name)) {
        fieldErrors[''] =
          `secretValues may only hold variables that a secret field names (${[...referenced].join(', ') || 'none'})`
        continue
      }
      if (typeof value !== 'string') {
        fieldErrors[''] = `the value of ${name} must be a string`
        continue
      }
      if (value === '') continue
      if (draft.isRealVariable?.(name)) {
        fieldErrors[''] =
          `${name} is set in the environment jit dev runs in, which wins over the app's .env: change it there, or restart jit dev without it`
        continue
      }
      secretValues[name] = value
    }
  }
  if (Object.keys(fieldErrors).length > 0) return { ok: false, fieldErrors }

  const loaded = readAsRuntime(draft, written, { ...draft.env, ...secretValues })
  if (!loaded.value) {
    for (const problem of loaded.problems) {
      const field = problem.field ?? ''
      const variable = /\$\{(\w+)\}/.exec(problem.reason)?.[1]
      fieldErrors[field] ??=
        problem.code === 'JIT_CONFIG_ENV_MISSING' && variable
          ? `${variable} is not set: give its value to store in the app's .env, or set ${variable} in the environment`
          : problem.reason
    }
    return { ok: false, fieldErrors }
  }
  return { ok: true, written, loaded: loaded as LoadedWithValue, secretValues }
}

/** Reads `written` through the runtime's config loader, as if it were the file on disk. */
function readAsRuntime(draft: ConfigDraft, written: Record<string, unknown>, env: Env): LoadedConfig {
  const name = `${path.basename(draft.dir)}.json`
  const text = jsonText(written)
  const files: ScanFileSystem = {
    readdirSync: () => [],
    readFileSync: () => text,
  }
  return loadBusinessConfig(
    {
      fullName: draft.fullName,
      dir: draft.dir,
      files: [name],
      schema: draft.schema,
      env,
      overrides: draft.overrides,
    },
    files,
  )
}

/**
 * What a person would write: a top-level field the form sent empty and optional is left out, and one
 * with its default value too unless the file already has it; the file's fields keep their order.
 */
function compact(
  sent: Record<string, unknown>,
  jsonSchema: JsonSchema,
  current: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const properties = (jsonSchema.properties ?? {}) as Record<string, JsonSchema>
  const required = new Set((jsonSchema.required ?? []) as string[])
  const order = [
    ...Object.keys(current ?? {}).filter((key) => Object.hasOwn(sent, key)),
    ...Object.keys(sent),
  ]
  const out: Record<string, unknown> = {}
  for (const key of new Set(order)) {
    const value = sent[key]
    const inFile = current !== undefined && Object.hasOwn(current, key)
    const property = Object.hasOwn(properties, key) ? properties[key] : undefined
    if (value === undefined) continue
    if (!required.has(key) && (value === '' || value === null)) continue
    if (!inFile && property && 'default' in property && sameJson(property.default, value)) continue
    out[key] = value
  }
  return out
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
