import fs from 'node:fs'
import path from 'node:path'
import { readTextIfAny, writeFileAtomic } from './files.ts'

/** The app's local secrets, `<app>/.env`: read by `jit dev`, `jit check` and `jit new`, never by `jit start`. */
export const ENV_FILE = '.env'
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)?\s*$/

/** Names set from the app's .env, by environment object: a later write to .env may replace them. */
const fromFile = new WeakMap<object, Set<string>>()

/** The variables of a .env text: `NAME=value`, `export NAME=value`, quoted values, `#` comments. */
export function parseEnvText(text: string): Map<string, string> {
  const values = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    const match = LINE.exec(line)
    if (!match) continue
    values.set(match[1], unquote((match[2] ?? '').trim()))
  }
  return values
}

function unquote(raw: string): string {
  if (raw.startsWith('"')) {
    const end = raw.lastIndexOf('"')
    const body = end > 0 ? raw.slice(1, end) : raw.slice(1)
    return body.replace(/\\([nrt"\\])/g, (_, ch: string) => ({ n: '\n', r: '\r', t: '\t' })[ch] ?? ch)
  }
  if (raw.startsWith("'")) {
    const end = raw.lastIndexOf("'")
    return end > 0 ? raw.slice(1, end) : raw.slice(1)
  }
  const comment = raw.search(/\s#/)
  return (comment >= 0 ? raw.slice(0, comment) : raw).trim()
}

/**
 * Sets the variables of `<appDir>/.env` that `env` does not have yet: a variable of the real
 * environment always wins over the file. Returns the names it set.
 */
export function loadAppEnvFile(appDir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const text = readTextIfAny(path.join(appDir, ENV_FILE))
  if (text === undefined) return []
  const loaded = fromFile.get(env) ?? new Set<string>()
  fromFile.set(env, loaded)
  const set: string[] = []
  for (const [name, value] of parseEnvText(text)) {
    if (env[name] !== undefined && !loaded.has(name)) continue
    env[name] = value
    loaded.add(name)
    set.push(name)
  }
  return set
}

/** Whether a variable is set in `env` by the real environment, not from the app's .env. */
export function isRealEnvVariable(env: NodeJS.ProcessEnv, name: string): boolean {
  return env[name] !== undefined && !fromFile.get(env)?.has(name)
}

/**
 * Stores `values` in `<appDir>/.env` (created with mode 0600 and added to the app's .gitignore),
 * replacing lines of the same names and keeping the rest, and sets them in `env` unless the real
 * environment has them.
 */
export function storeEnvValues(
  appDir: string,
  values: Readonly<Record<string, string>>,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const names = Object.keys(values)
  if (names.length === 0) return
  for (const name of names) if (!ENV_NAME.test(name)) throw new Error(`not an environment name: ${name}`)
  const file = path.join(appDir, ENV_FILE)
  const lines = (readTextIfAny(file) ?? '').split(/\r?\n/)
  if (lines[lines.length - 1] === '') lines.pop()
  const pending = new Set(names)
  const out = lines.map((line) => {
    const name = LINE.exec(line)?.[1]
    if (!name || !pending.has(name)) return line
    pending.delete(name)
    return `${name}=${quote(values[name])}`
  })
  for (const name of pending) out.push(`${name}=${quote(values[name])}`)
  writeFileAtomic(file, `${out.join('\n')}\n`, 0o600)
  ignoreInGit(appDir)
  const loaded = fromFile.get(env) ?? new Set<string>()
  fromFile.set(env, loaded)
  for (const name of names) {
    if (isRealEnvVariable(env, name)) continue
    env[name] = values[name]
    loaded.add(name)
  }
}

function quote(value: string): string {
  if (/^[A-Za-z0-9_./:@+-]*$/.test(value)) return value
  return `"${value
    .replace(/[\\"]/g, (ch) => `\\${ch}`)
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')}"`
}

/** Adds `.env` to the app folder's .gitignore unless a line already ignores it. */
function ignoreInGit(appDir: string): void {
  const file = path.join(appDir, '.gitignore')
  const text = readTextIfAny(file) ?? ''
  const ignored = text
    .split(/\r?\n/)
    .some((line) => ['.env', '/.env', '*.env', '.env*'].includes(line.trim()))
  if (ignored) return
  const separator = text === '' || text.endsWith('\n') ? '' : '\n'
  fs.writeFileSync(file, `${text}${separator}.env\n`)
}
