import path from 'node:path'
import { JitError } from '../errors.ts'
import { ELEMENT_NAME, type ElementDefine, ElementDefineSchema, fieldPath } from './define-schema.ts'
import { parseJsonFile } from './json.ts'

export type Layer = 'Meta' | 'Type' | 'Instance'

/** The slice of `node:fs` the scanner needs; tests and tools may pass another. */
export interface ScanFileSystem {
  readdirSync(
    dir: string,
    options: { withFileTypes: true },
  ): Array<{
    name: string
    isDirectory(): boolean
    isFile(): boolean
  }>
  readFileSync(file: string, encoding: 'utf8'): string
}

/** One element folder as found on disk, before type resolution. */
export interface ElementDefinition {
  /** Folder path relative to the app root, `/` replaced by `.`. */
  readonly fullName: string
  /** Absolute path of the element folder. */
  readonly dir: string
  readonly layer: Layer
  /** e.json as written, checked against JitAi's fields (unknown keys kept). */
  readonly define: Readonly<ElementDefine>
  /** File names directly inside the folder, sorted. */
  readonly files: readonly string[]
  /** fullName of the nearest enclosing element folder, if any. */
  readonly parent?: string
  /** Set when e.json could not be used: the element is listed, and getElement throws this. */
  readonly problem?: JitError
  /** The raw e.json text, so that a rebuild can tell an unchanged element from a changed one. */
  readonly source: string
}

/** The file that makes an element folder a Type: its backend entry. */
export const TYPE_ENTRY = 'type.ts'
const SKIPPED_DIRS = new Set(['node_modules'])

/**
 * Finds every element folder under `appRoot`: every folder holding an `e.json`. Pure apart from the
 * reads it makes through `fs`.
 *
 * @example
 * const elements = scanAppFolder('/srv/app', fs)
 * elements.find((e) => e.fullName === 'auths.loginTypes.MyWechatLogin')?.layer // 'Instance'
 */
export function scanAppFolder(appRoot: string, fs: ScanFileSystem): ElementDefinition[] {
  const found: ElementDefinition[] = []
  walk(fs, appRoot, [], undefined, found)
  return found
}

function walk(
  fs: ScanFileSystem,
  dir: string,
  segments: string[],
  parent: string | undefined,
  found: ElementDefinition[],
): void {
  const entries = fs.readdirSync(dir, { withFileTypes: true })
  const files: string[] = []
  const subdirs: string[] = []
  for (const entry of entries) {
    if (entry.isFile()) files.push(entry.name)
    else if (entry.isDirectory() && !entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name)) {
      subdirs.push(entry.name)
    }
  }
  let here = parent
  if (segments.length > 0 && files.includes('e.json')) {
    files.sort()
    const element = readElement(fs, dir, segments, files, parent)
    found.push(element)
    here = element.fullName
  }
  subdirs.sort()
  for (const name of subdirs) walk(fs, path.join(dir, name), [...segments, name], here, found)
}

function readElement(
  fs: ScanFileSystem,
  dir: string,
  segments: string[],
  files: string[],
  parent: string | undefined,
): ElementDefinition {
  const fullName = segments.join('.')
  const file = path.join(dir, 'e.json')
  const base = { fullName, dir, files, parent }
  let source = ''
  try {
    source = fs.readFileSync(file, 'utf8')
  } catch (err) {
    const problem = new JitError('JIT_EJSON_MALFORMED', `cannot be read: ${(err as Error).message}`, {
      file,
      element: fullName,
    })
    return broken(base, source, problem)
  }
  const badSegment = segments.find((s) => !ELEMENT_NAME.test(s))
  if (badSegment !== undefined) {
    const problem = new JitError(
      'JIT_ELEMENT_NAME_INVALID',
      `the folder name "${badSegment}" cannot be part of a fullName: use letters, digits and _ only, not starting with a digit`,
      { file, element: fullName },
    )
    return broken(base, source, problem)
  }
  const parsed = parseJsonFile(source, file, 'JIT_EJSON_MALFORMED', fullName)
  if (parsed instanceof JitError) return broken(base, source, parsed)
  const checked = ElementDefineSchema.safeParse(parsed)
  if (!checked.success) {
    const issue = checked.error.issues[0]
    const problem = new JitError('JIT_EJSON_INVALID', issue.message, {
      file,
      field: fieldPath(issue.path) || undefined,
      element: fullName,
    })
    return broken(base, source, problem)
  }
  const define = Object.freeze(checked.data)
  const layer: Layer = define.type === '' ? 'Meta' : files.includes(TYPE_ENTRY) ? 'Type' : 'Instance'
  return { ...base, layer, define, source }
}

function broken(
  base: Pick<ElementDefinition, 'fullName' | 'dir' | 'files' | 'parent'>,
  source: string,
  problem: JitError,
): ElementDefinition {
  const define = Object.freeze({ title: base.fullName, type: '' })
  return { ...base, layer: 'Instance', define, source, problem }
}
