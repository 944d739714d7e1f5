import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { JitError } from '../errors.ts'
import { notFound, parseObject } from './element-files.ts'
import { jsonText, readTextIfAny } from './files.ts'
import { checkFullName } from './names.ts'
import { clearUndo } from './undo.ts'
import {
  applyWrite,
  type ConsoleWorkspace,
  currentDefinition,
  folderOf,
  requireRecord,
  topIndex,
} from './workspace.ts'

const TRASH_ID = /^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$/
const ENTRY_FILE = 'trash.json'

export interface TrashEntry {
  trashId: string
  fullName: string
  deletedAt: string
}

function trashRoot(appDir: string): string {
  return path.join(appDir, '.jitlite', 'trash')
}

/**
 * Moves an element folder of the top app to `.jitlite/trash/<id>/` (a folder the scanner skips), from
 * where it can be restored.
 */
export async function trashElement(
  workspace: ConsoleWorkspace,
  fullName: unknown,
): Promise<{ trashId: string }> {
  const definition = currentDefinition(workspace)
  const record = requireRecord(definition, fullName)
  if (record.element.appIndex !== topIndex(definition)) {
    throw new JitError(
      'JIT_CONSOLE_NOT_EDITABLE',
      `${record.element.fullName} comes from ${record.element.app.id}, not this app: there is nothing here to delete`,
    )
  }
  const deletedAt = new Date()
  const trashId = `${deletedAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(4).toString('hex')}`
  const entryDir = path.join(trashRoot(workspace.appDir), trashId)
  fs.mkdirSync(entryDir, { recursive: true })
  const entry: TrashEntry = { trashId, fullName: record.element.fullName, deletedAt: deletedAt.toISOString() }
  fs.writeFileSync(path.join(entryDir, ENTRY_FILE), jsonText(entry))
  fs.renameSync(record.element.dir, path.join(entryDir, 'element'))
  clearUndo(workspace.appDir, record.element.fullName)
  await applyWrite(workspace, [record.element.dir])
  return { trashId }
}

/** The deleted elements, newest first. */
export function listTrash(appDir: string): TrashEntry[] {
  let ids: string[]
  try {
    ids = fs.readdirSync(trashRoot(appDir))
  } catch {
    return []
  }
  const entries: TrashEntry[] = []
  for (const id of ids) {
    if (!TRASH_ID.test(id)) continue
    const entry = parseObject(readTextIfAny(path.join(trashRoot(appDir), id, ENTRY_FILE)))
    if (typeof entry?.fullName !== 'string' || typeof entry.deletedAt !== 'string') continue
    entries.push({ trashId: id, fullName: entry.fullName, deletedAt: entry.deletedAt })
  }
  return entries.sort((a, b) => b.deletedAt.localeCompare(a.deletedAt))
}

/** Moves a deleted element back where it was, unless something took its place meanwhile. */
export async function restoreElement(
  workspace: ConsoleWorkspace,
  trashId: unknown,
): Promise<{ fullName: string }> {
  if (typeof trashId !== 'string' || !TRASH_ID.test(trashId)) throw notFound('no such trash entry')
  const entry = listTrash(workspace.appDir).find((e) => e.trashId === trashId)
  if (!entry) throw notFound(`no trash entry ${trashId}: it was restored or removed`)
  const fullName = checkFullName(entry.fullName)
  const target = folderOf(workspace.appDir, fullName)
  if (fs.existsSync(target)) {
    throw new JitError(
      'JIT_CONSOLE_NAME_TAKEN',
      `${fullName} exists again: rename or delete it, then restore`,
    )
  }
  const entryDir = path.join(trashRoot(workspace.appDir), trashId)
  fs.mkdirSync(path.dirname(target), { recursive: true })
  fs.renameSync(path.join(entryDir, 'element'), target)
  fs.rmSync(entryDir, { recursive: true, force: true })
  await applyWrite(workspace, [target])
  return { fullName }
}
