import path from 'node:path'

/** Extensions of the files that define elements: e.json, business configs, app.json. */
const DEFINITION_FILE = /\.json$/i
/** Extensions of element code (Types, services, frontend entries). */
const CODE_FILE = /\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs)$/i
/** Folders the scanner never enters: it skips them, so the watcher need not see them either. */
const SKIPPED_FOLDER = 'node_modules'

/**
 * Whether the watcher should not look at `file` at all: dot folders and dotfiles (editor swap files,
 * `.git`), `node_modules`, and files the runtime never reads (a SQLite database and its WAL, logs,
 * editor backups such as `x.json~` or vim's `4913` probe). Ignoring them keeps a busy database inside
 * an app folder from turning every write into a reload.
 *
 * `isFile` is unknown when chokidar has not stat'ed the path yet; then only names decide.
 */
export function isIgnoredPath(file: string, isFile?: boolean): boolean {
  const base = path.basename(file)
  if (base === SKIPPED_FOLDER) return true
  if (base.startsWith('.') && base.length > 1) return true
  if (isFile === true) return !isWatchedFile(file)
  return false
}

/** Whether a file's change can change what the app serves: definitions and code. */
export function isWatchedFile(file: string): boolean {
  return DEFINITION_FILE.test(file) || CODE_FILE.test(file)
}

/** Whether a file is element code, which a running process cannot swap (Node cannot unload modules). */
export function isCodeFile(file: string): boolean {
  return CODE_FILE.test(file)
}
