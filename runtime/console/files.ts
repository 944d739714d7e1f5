import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

/** JSON as a person writes it: two-space indent, a newline at the end. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

/**
 * Writes `text` to `file` through a temp file in the same folder and a rename, so that a reader (the
 * hot-reload watcher) sees the old file or the new one, never half of one.
 */
export function writeFileAtomic(file: string, text: string, mode?: number): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  fs.writeFileSync(temp, text, { mode: mode ?? 0o666 })
  try {
    if (mode !== undefined) fs.chmodSync(temp, mode)
    fs.renameSync(temp, file)
  } catch (err) {
    fs.rmSync(temp, { force: true })
    throw err
  }
}

/** The text of a file, or undefined when there is none (its folder missing, or not a folder). */
export function readTextIfAny(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw err
  }
}

/** A hash of a set of files by name (absent files count), to tell whether they changed since a read. */
export function hashFiles(files: Readonly<Record<string, string | undefined>>): string {
  const hash = createHash('sha256')
  for (const name of Object.keys(files).sort()) {
    const text = files[name]
    hash.update(`${name}\u0000${text === undefined ? '-' : `+${text}`}\u0000`)
  }
  return hash.digest('base64url').slice(0, 32)
}
