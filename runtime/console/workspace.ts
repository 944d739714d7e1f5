import path from 'node:path'
import type { ConfigOverride, JitApp } from '../app.ts'
import { kState } from '../app-state.ts'
import type { TypeDefinition } from '../define.ts'
import type { ElementRecord } from '../elements/element-state.ts'
import type { AppDefinition } from '../elements/generation.ts'
import { JitError } from '../errors.ts'
import { configJsonSchema, type JsonSchema } from './config-schema.ts'
import { notFound } from './element-files.ts'
import { checkFullName } from './names.ts'
import { isEditable } from './tree.ts'
import { typeDefinitionOf } from './type-definitions.ts'

/** What the console's operations work on: the running app, its folder and environment. */
export interface ConsoleWorkspace {
  app: JitApp
  /** The top app's folder: the only one the console writes into. */
  appDir: string
  /** The environment `${NAME}` references are read from (process.env under jit dev). */
  env: NodeJS.ProcessEnv
  /** The runtime's config overrides (jit dev: sandbox hosts), applied when a config is checked. */
  configOverrides?: ConfigOverride
}

/** The definition serving now, read once per operation. */
export function currentDefinition(workspace: ConsoleWorkspace): AppDefinition {
  return workspace.app[kState].definition
}

/** The index of the top app in the stack. */
export function topIndex(definition: AppDefinition): number {
  return definition.roots.length - 1
}

/** A visible element by fullName, or JIT_CONSOLE_NOT_FOUND. */
export function requireRecord(definition: AppDefinition, fullName: unknown): ElementRecord {
  const name = checkFullName(fullName)
  const record = definition.record(name)
  const hidden =
    record && record.element.access === 'private' && record.element.appIndex !== topIndex(definition)
  if (!record || hidden) throw notFound(`no element named "${name}" in this app or the apps it extends`)
  return record
}

/** An own Instance the console may write, or the reason it may not. */
export function requireEditable(definition: AppDefinition, fullName: unknown): ElementRecord {
  const record = requireRecord(definition, fullName)
  if (!isEditable(record, topIndex(definition))) {
    throw new JitError(
      'JIT_CONSOLE_NOT_EDITABLE',
      record.element.appIndex !== topIndex(definition)
        ? `${record.element.fullName} comes from ${record.element.app.id}: override it in this app first`
        : `${record.element.fullName} is a ${record.element.scopedTo ? "Type's child" : record.element.layer}: the console edits Instances; edit its files in your editor`,
    )
  }
  return record
}

/** A Type an Instance can be created from: visible, not a Type's child, its chain resolved. */
export function requireType(definition: AppDefinition, fullName: unknown): ElementRecord {
  const record = requireRecord(definition, fullName)
  const { element } = record
  if (element.layer !== 'Type' || element.scopedTo || !element.chain) {
    throw notFound(`${element.fullName} is not a Type an Instance can be created from`)
  }
  if (record.problem) {
    throw new JitError(
      'JIT_CONSOLE_NOT_EDITABLE',
      `${element.fullName} has a problem to fix first: ${record.problem.reason} (${record.problem.code})`,
    )
  }
  return record
}

export interface ConfigOf {
  type: TypeDefinition<any, any>
  schema: TypeDefinition<any, any>['config']
  jsonSchema: JsonSchema
}

/** The Type definition of a Type or an Instance record, with its config's JSON Schema. */
export async function configOf(definition: AppDefinition, record: ElementRecord): Promise<ConfigOf> {
  const type = (await typeDefinitionOf(definition, record)) ?? {}
  return { type, schema: type.config, jsonSchema: configJsonSchema(type.config) }
}

/** The overrides the runtime applies to one Instance's config, bound to that Instance and Type. */
export function overridesFor(
  workspace: ConsoleWorkspace,
  fullName: string,
  chain: readonly string[],
  type: TypeDefinition<any, any>,
):
  | ((written: Readonly<Record<string, unknown>>) => Readonly<Record<string, unknown>> | undefined)
  | undefined {
  const overrides = workspace.configOverrides
  if (!overrides) return undefined
  return (written) => overrides({ fullName, chain }, type, written, workspace.env)
}

/** The folder of an element of the top app, by fullName. */
export function folderOf(appDir: string, fullName: string): string {
  return path.join(appDir, ...fullName.split('.'))
}

/**
 * Applies the console's own write at once (the watcher would too, a moment later), reading again only
 * what changed: the paths written and the folders above them that may have been created.
 */
export async function applyWrite(workspace: ConsoleWorkspace, written: readonly string[]): Promise<void> {
  const changed = new Set<string>()
  for (const file of written) {
    let at = path.resolve(file)
    while (at.startsWith(workspace.appDir + path.sep)) {
      changed.add(at)
      at = path.dirname(at)
    }
  }
  await workspace.app.reload(changed)
}
