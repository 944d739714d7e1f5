import fs from 'node:fs'
import path from 'node:path'
import { readTextIfAny, writeFileAtomic } from './files.ts'

/** Where the console keeps the files an Instance had before its last save, one save deep. */
function undoFile(appDir: string, fullName: string): string {
  return path.join(appDir, '.jitlite', 'console', 'undo', `${fullName}.json`)
}

/** Keeps `files` (text by name; undefined: the file did not exist) as what an undo puts back. */
export function saveUndo(
  appDir: string,
  fullName: string,
  files: Readonly<Record<string, string | undefined>>,
): void {
  const file = undoFile(appDir, fullName)
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const stored: Record<string, string | null> = {}
  for (const [name, text] of Object.entries(files)) stored[name] = text ?? null
  // The files may hold a hand-written secret: readable by this user only, like the .env file.
  writeFileAtomic(file, JSON.stringify({ savedAt: new Date().toISOString(), files: stored }), 0o600)
}

/** What the last save replaced, if an undo is possible. */
export function readUndo(
  appDir: string,
  fullName: string,
): { files: Record<string, string | undefined> } | undefined {
  const text = readTextIfAny(undoFile(appDir, fullName))
  if (text === undefined) return undefined
  const stored = JSON.parse(text) as { files: Record<string, string | null> }
  const files: Record<string, string | undefined> = {}
  for (const [name, value] of Object.entries(stored.files)) {
    // Only the Instance's own file names, never a path.
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) continue
    files[name] = value ?? undefined
  }
  return { files }
}

export function clearUndo(appDir: string, fullName: string): void {
  fs.rmSync(undoFile(appDir, fullName), { force: true })
}
