/**
 * Which source files this process runs as code. bin/register.mjs (the loader every `jit` process
 * starts with) records each file its module resolution hands out; under `jit dev` an edit to one of
 * those needs a new process (Node cannot unload a module), while an edit to any other file (browser
 * code the bundler compiles, a file nothing imported yet) is served fresh by the running process.
 * Kept free of imports from the rest of the runtime: dev-child.ts and the supervisor both use it.
 */
import fs from 'node:fs'
import path from 'node:path'

/** What bin/register.mjs keeps on `globalThis` under this key (plain JavaScript there, typed here). */
const REGISTRY_KEY = Symbol.for('jitlite.loadedCode')

interface LoadedCodeRegistry {
  /** Real paths of the files resolved as modules so far. */
  readonly files: ReadonlySet<string>
  /** Called with each file resolved from now on. */
  readonly listeners: Set<(file: string) => void>
}

function registry(): LoadedCodeRegistry | undefined {
  return (globalThis as Record<symbol, LoadedCodeRegistry | undefined>)[REGISTRY_KEY]
}

/** Whether this process knows which files it imported (it started with bin/register.mjs). */
export function tracksLoadedCode(): boolean {
  return registry() !== undefined
}

/** The real paths of the files this process imported so far; `undefined` when it does not know. */
export function loadedCodeFiles(): string[] | undefined {
  const known = registry()
  return known && [...known.files]
}

/** Calls `listener` with each file this process imports from now on; returns the unsubscribe. */
export function onCodeLoaded(listener: (file: string) => void): () => void {
  const known = registry()
  if (!known) return () => {}
  known.listeners.add(listener)
  return () => known.listeners.delete(listener)
}

/**
 * Whether this process runs `file` as code: true when it imported it, and whenever it cannot tell
 * (then every code edit counts, as before tracking existed).
 */
export function runsCode(file: string): boolean {
  return isAmong(registry()?.files, file)
}

/**
 * Whether `file` is among the real paths `files` a process imported; true when `files` is unknown
 * (a process that cannot tell what it imported counts as running every file).
 */
export function isAmong(files: ReadonlySet<string> | undefined, file: string): boolean {
  return files === undefined || files.has(realFile(file))
}

/**
 * `file` with symbolic links resolved, as module resolution reports it; for a file that is gone, its
 * folder's real path and its name.
 */
export function realFile(file: string): string {
  try {
    return fs.realpathSync(file)
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(file)), path.basename(file))
    } catch {
      return path.resolve(file)
    }
  }
}
