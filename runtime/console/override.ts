import fs from 'node:fs'
import path from 'node:path'
import { FRAMEWORK_ROOT } from '../elements/apps.ts'
import type { ElementRecord } from '../elements/element-state.ts'
import { TYPE_ENTRY } from '../elements/scan.ts'
import { JitError } from '../errors.ts'
import { parseObject } from './element-files.ts'
import { jsonText, writeFileAtomic } from './files.ts'
import {
  applyWrite,
  type ConsoleWorkspace,
  currentDefinition,
  folderOf,
  requireRecord,
  topIndex,
} from './workspace.ts'

/**
 * "Override in this app": an inherited Instance (or config) is copied into the app at the same
 * fullName; an inherited Type gets a folder whose type.ts imports the official Type and spreads it
 * into its own `defineType`, so that it behaves the same until its author changes a member.
 */
export async function overrideElement(
  workspace: ConsoleWorkspace,
  fullName: unknown,
): Promise<{ fullName: string; files: Record<string, string> }> {
  const definition = currentDefinition(workspace)
  const record = requireRecord(definition, fullName)
  const { element } = record
  if (element.appIndex === topIndex(definition)) {
    throw new JitError(
      'JIT_CONSOLE_NAME_TAKEN',
      `${element.fullName} is already this app's own: edit it instead`,
    )
  }
  if (element.access === 'protected') {
    throw new JitError(
      'JIT_CONSOLE_NOT_EDITABLE',
      `${element.fullName} is protected by ${element.app.id} (accessModifier): it cannot be overridden`,
    )
  }
  if (element.scopedTo) {
    throw new JitError(
      'JIT_CONSOLE_NOT_EDITABLE',
      `${element.fullName} is a child of ${element.scopedTo}: override that Type instead`,
    )
  }
  const dir = folderOf(workspace.appDir, element.fullName)
  if (fs.existsSync(dir)) {
    throw new JitError(
      'JIT_CONSOLE_NAME_TAKEN',
      `the folder of ${element.fullName} already exists in this app`,
    )
  }
  const files = element.layer === 'Type' ? typeOverrideFiles(record, dir) : copiedFiles(record)
  fs.mkdirSync(dir, { recursive: true })
  // e.json last: the folder becomes an element once the rest is there.
  for (const name of Object.keys(files).filter((n) => n !== 'e.json'))
    writeFileAtomic(path.join(dir, name), files[name])
  writeFileAtomic(path.join(dir, 'e.json'), files['e.json'])
  await applyWrite(workspace, [dir])
  return { fullName: element.fullName, files }
}

/** The files directly in an Instance's folder (its children are elements of their own). */
function copiedFiles(record: ElementRecord): Record<string, string> {
  const files: Record<string, string> = {}
  for (const name of record.element.files) {
    files[name] = fs.readFileSync(path.join(record.element.dir, name), 'utf8')
  }
  return files
}

function typeOverrideFiles(record: ElementRecord, dir: string): Record<string, string> {
  const { element } = record
  const official = path.join(element.dir, TYPE_ENTRY)
  const define = parseObject(fs.readFileSync(path.join(element.dir, 'e.json'), 'utf8')) ?? {}
  const files: Record<string, string> = {}
  const name = element.fullName.split('.').pop()!
  files[TYPE_ENTRY] = [
    `// This app's ${name}: the one from ${element.app.id}, with your changes on top.`,
    `// Members you set here replace the official ones; routes merge action by action.`,
    `import { defineType } from 'jitlite'`,
    `import official from '${importPath(dir, official)}'`,
    '',
    'export default defineType({',
    '  ...official,',
    '})',
    '',
  ].join('\n')
  const entry = typeof define.frontBundleEntry === 'string' ? define.frontBundleEntry : undefined
  if (entry) {
    // Browser code reaches the official entry by a relative path: a bundle imports nothing from 'jitlite' but its browser runtime.
    const target = relativeImport(dir, path.join(element.dir, entry))
    files[entry] =
      `// The browser side of the official ${name}, unchanged.\nexport { default } from '${target}'\nexport * from '${target}'\n`
  }
  files['e.json'] = jsonText(define)
  return files
}

/** `jitlite/types/...` for a framework Type (the package's entry point), else a relative path. */
function importPath(fromDir: string, file: string): string {
  const inFramework = path.relative(FRAMEWORK_ROOT, file)
  if (!inFramework.startsWith('..') && !path.isAbsolute(inFramework)) {
    return `jitlite/types/${inFramework.split(path.sep).join('/')}`
  }
  return relativeImport(fromDir, file)
}

function relativeImport(fromDir: string, file: string): string {
  const relative = path.relative(fromDir, file).split(path.sep).join('/')
  return relative.startsWith('.') ? relative : `./${relative}`
}
