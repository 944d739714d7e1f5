import { valueAt } from '../config/secrets.ts'
import { fieldPath } from '../elements/define-schema.ts'

/** What the console shows instead of a secret value written into a file (by hand, or as a default). */
export const SECRET_MASK = '********'
const PURE_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/
const REF_WITH_DEFAULT = /^\$\{([A-Za-z_][A-Za-z0-9_]*):-([\s\S]*)\}$/

/** How a secret field of a config stands: the variable it names, and whether that is set. */
export interface SecretState {
  /** The environment variable the field names; null when the file holds a literal value. */
  ref: string | null
  set: boolean
}

/** The variable a secret field's value names, when it is a `${NAME}` or `${NAME:-default}` reference. */
export function secretRef(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  return (PURE_REF.exec(value) ?? REF_WITH_DEFAULT.exec(value))?.[1]
}

/** Whether a value is exactly `${NAME}`: the only form the console writes into a secret field. */
export function isPureRef(value: unknown): boolean {
  return typeof value === 'string' && PURE_REF.test(value)
}

/** A secret field's value as the console shows it: references as written, anything literal masked. */
export function maskedValue(value: unknown): unknown {
  if (typeof value !== 'string' || isPureRef(value)) return value
  const withDefault = REF_WITH_DEFAULT.exec(value)
  if (withDefault) return `\${${withDefault[1]}:-${SECRET_MASK}}`
  return SECRET_MASK
}

/** The literal secret values a config text holds (hand-written values, defaults of references). */
export function literalSecrets(config: unknown, paths: readonly string[][]): string[] {
  const found: string[] = []
  for (const at of paths) {
    const value = valueAt(config, at)
    if (typeof value !== 'string' || isPureRef(value)) continue
    const withDefault = REF_WITH_DEFAULT.exec(value)
    found.push(withDefault ? withDefault[2] : value)
  }
  return found.filter((text) => text.length > 0)
}

/** `config` with its secret fields masked, and the state of each (by dotted path). */
export function showSecrets(
  config: Record<string, unknown>,
  paths: readonly string[][],
  env: Readonly<Record<string, string | undefined>>,
): { config: Record<string, unknown>; secrets: Record<string, SecretState> } {
  const shown = structuredClone(config)
  const secrets: Record<string, SecretState> = {}
  for (const at of paths) {
    const value = valueAt(config, at)
    if (value === undefined) continue
    setAt(shown, at, maskedValue(value))
    const ref = secretRef(value) ?? null
    secrets[fieldPath(at)] = { ref, set: ref === null ? true : env[ref] !== undefined }
  }
  return { config: shown, secrets }
}

/**
 * Puts back what the file holds where the form sent a secret field's masked value unchanged: saving
 * an unchanged form keeps the secret.
 */
export function keepUnchangedSecrets(
  sent: Record<string, unknown>,
  current: Record<string, unknown> | undefined,
  paths: readonly string[][],
): Record<string, unknown> {
  if (!current) return sent
  const out = structuredClone(sent)
  for (const at of paths) {
    const before = valueAt(current, at)
    if (before !== undefined && valueAt(sent, at) === maskedValue(before)) setAt(out, at, before)
  }
  return out
}

/** Replaces every literal secret in a text (a file, a diff) by the mask, in its JSON-escaped form too. */
export function maskText(text: string, literals: readonly string[]): string {
  let out = text
  for (const literal of literals) {
    if (literal.length < 4) continue
    for (const form of new Set([literal, JSON.stringify(literal).slice(1, -1)])) {
      out = out.split(form).join(SECRET_MASK)
    }
  }
  return out
}

export function setAt(root: Record<string, unknown>, at: readonly string[], value: unknown): void {
  let node = root
  for (const key of at.slice(0, -1)) {
    const next = node[key]
    if (next === null || typeof next !== 'object') return
    node = next as Record<string, unknown>
  }
  node[at[at.length - 1]] = value
}
