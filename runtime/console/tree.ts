import path from 'node:path'
import type { JitApp } from '../app.ts'
import { kState } from '../app-state.ts'
import type { ElementRecord } from '../elements/element-state.ts'
import type { AppDefinition } from '../elements/generation.ts'
import type { JitError } from '../errors.ts'
import { familyOf } from './type-definitions.ts'

export interface ConsoleProblem {
  file?: string
  field?: string
  message: string
  code: string
}

/** One element as the console's tree shows it (see the console API contract). */
export interface ConsoleElement {
  fullName: string
  family: string
  kind: 'Meta' | 'Type' | 'Instance' | 'other'
  type: string
  title: string
  /** `orgId.name` of the app its definition comes from. */
  layer: string
  source: 'own' | 'inherited' | 'overriding'
  valid: boolean
  problems: ConsoleProblem[]
  /** An own Instance: the console can edit, diff, undo and delete it. */
  editable: boolean
}

/**
 * Every element visible from the app, with where it comes from and whether it works. A change on disk
 * that the running app refused (a typo in a JSON file) shows on its element too, although the last
 * good definition keeps serving.
 */
export function elementTree(app: JitApp): ConsoleElement[] {
  const definition = app[kState].definition
  const problems = new Map<string, ConsoleProblem[]>()
  const note = (problem: JitError) => {
    if (!problem.element) return
    const list = problems.get(problem.element) ?? []
    const shown = consoleProblem(problem, definition)
    if (!list.some((p) => p.message === shown.message && p.field === shown.field)) list.push(shown)
    problems.set(problem.element, list)
  }
  for (const problem of app.problems) note(problem)
  for (const problem of app.refusedReload ?? []) note(problem)

  const top = definition.roots.length - 1
  const out: ConsoleElement[] = []
  for (const record of definition.records()) {
    const { element } = record
    if (element.access === 'private' && element.appIndex !== top) continue
    const own = element.appIndex === top
    const list = problems.get(element.fullName) ?? []
    out.push({
      fullName: element.fullName,
      family: familyOf(record),
      kind: element.scopedTo ? 'other' : element.layer,
      type: element.define.type,
      title: element.define.title,
      layer: element.app.id,
      source: !own ? 'inherited' : element.overrides ? 'overriding' : 'own',
      valid: list.length === 0,
      problems: list,
      editable: isEditable(record, top),
    })
  }
  // A new element whose addition the app refused is not in the running definition: shown with its problems.
  for (const [fullName, list] of problems) {
    if (definition.record(fullName)) continue
    out.push({
      fullName,
      family: fullName.split('.').slice(0, -1).join('.'),
      kind: 'other',
      type: '',
      title: fullName,
      layer: definition.app.orgId ? `${definition.app.orgId}.${definition.app.name}` : definition.app.name,
      source: 'own',
      valid: false,
      problems: list,
      editable: false,
    })
  }
  return out.sort((a, b) => a.fullName.localeCompare(b.fullName))
}

/** An Instance of the app itself (not a Type's child): the console writes its e.json and config. */
export function isEditable(record: ElementRecord, topIndex: number): boolean {
  const { element } = record
  return element.appIndex === topIndex && element.layer === 'Instance' && !element.scopedTo
}

/** A problem as the console shows it: the file relative to its app's folder, the reason, the code. */
export function consoleProblem(problem: JitError, definition: AppDefinition): ConsoleProblem {
  return {
    file: problem.file && shownFile(problem.file, definition.roots),
    field: problem.field,
    message: problem.reason,
    code: problem.code,
  }
}

function shownFile(file: string, roots: readonly string[]): string {
  for (const root of [...roots].reverse()) {
    const relative = path.relative(root, file)
    if (!relative.startsWith('..') && !path.isAbsolute(relative)) return relative
  }
  return path.basename(file)
}
