import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { JitError } from '../errors.ts'
import { type AppJson, AppJsonSchema, fieldPath } from './define-schema.ts'
import { parseJsonFile } from './json.ts'
import type { ScanFileSystem } from './scan.ts'

/** The framework app every app extends: the official Metas and Types. */
export const FRAMEWORK_ROOT = fileURLToPath(new URL('../../types/', import.meta.url)).replace(/\/$/, '')

export interface AppManifest {
  /** `orgId.name`, how listings name the app an element comes from. */
  readonly id: string
  readonly root: string
  readonly json: Readonly<AppJson>
}

/**
 * Reads `app.json` of `appDir` and of every app it extends, the framework app first. The result runs
 * from the bottom of the inheritance stack to `appDir` itself, so later apps override earlier ones.
 */
export function loadAppStack(
  appDir: string,
  fs: ScanFileSystem,
  frameworkRoot = FRAMEWORK_ROOT,
): AppManifest[] {
  const stack: AppManifest[] = []
  const seen = new Set<string>()
  const visit = (root: string, chain: string[]) => {
    const resolved = path.resolve(root)
    if (chain.includes(resolved)) {
      throw new JitError(
        'JIT_APP_EXTENDS_NOT_FOUND',
        `apps extend each other in a loop: ${[...chain, resolved].join(' -> ')}`,
        {
          file: path.join(resolved, 'app.json'),
          field: 'extends',
        },
      )
    }
    if (seen.has(resolved)) return
    if (chain.length === 0) checkAppFolder(resolved, fs)
    const manifest = readAppJson(resolved, fs)
    const parents = manifest.json.extends === undefined ? [] : [manifest.json.extends].flat()
    if (resolved !== frameworkRoot) visit(frameworkRoot, [...chain, resolved])
    for (const parent of parents) {
      const parentRoot = path.resolve(resolved, parent)
      if (!isDirectory(fs, parentRoot)) {
        throw new JitError(
          'JIT_APP_EXTENDS_NOT_FOUND',
          `"${parent}" is not an app folder (looked in ${parentRoot})`,
          {
            file: path.join(resolved, 'app.json'),
            field: 'extends',
          },
        )
      }
      visit(parentRoot, [...chain, resolved])
    }
    seen.add(resolved)
    stack.push(manifest)
  }
  visit(appDir, [])
  return stack
}

/** The app folder itself, before its app.json: a mistyped folder says so, not that app.json is missing. */
function checkAppFolder(root: string, fs: ScanFileSystem): void {
  try {
    fs.readdirSync(root, { withFileTypes: true })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const what =
      code === 'ENOENT'
        ? 'the app folder does not exist'
        : code === 'ENOTDIR'
          ? 'is a file, not an app folder'
          : `the app folder cannot be read (${code ?? (err as Error).message})`
    throw new JitError(
      'JIT_APP_DIR_NOT_FOUND',
      `${what}: name the folder that holds app.json (jit check <appDir>, createApp({ appDir }))`,
      { file: root },
    )
  }
}

function readAppJson(root: string, fs: ScanFileSystem): AppManifest {
  const file = path.join(root, 'app.json')
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    throw new JitError(
      'JIT_APP_JSON_INVALID',
      `no app.json in ${root}: an app root holds app.json with orgId, name, title and version`,
      { file },
    )
  }
  const parsed = parseJsonFile(text, file, 'JIT_APP_JSON_INVALID')
  if (parsed instanceof JitError) throw parsed
  const checked = AppJsonSchema.safeParse(parsed)
  if (!checked.success) {
    const issue = checked.error.issues[0]
    throw new JitError('JIT_APP_JSON_INVALID', issue.message, {
      file,
      field: fieldPath(issue.path) || undefined,
    })
  }
  const json = Object.freeze(checked.data)
  return { id: `${json.orgId}.${json.name}`, root, json }
}

function isDirectory(fs: ScanFileSystem, dir: string): boolean {
  try {
    fs.readdirSync(dir, { withFileTypes: true })
    return true
  } catch {
    return false
  }
}
