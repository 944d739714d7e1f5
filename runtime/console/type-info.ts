import type { TypeHelp } from '../define.ts'
import { apiBase } from '../http/api-path.ts'
import type { JsonSchema } from './config-schema.ts'
import { checkElementName } from './names.ts'
import { familyOf } from './type-definitions.ts'
import { type ConsoleWorkspace, configOf, currentDefinition, requireType, topIndex } from './workspace.ts'

export interface FamilyListing {
  family: string
  title: string
  types: Array<{ fullName: string; title: string }>
}

/** The Types an Instance can be created from, by family (the folder of their Meta). */
export function families(workspace: ConsoleWorkspace): FamilyListing[] {
  const definition = currentDefinition(workspace)
  const top = topIndex(definition)
  const byFamily = new Map<string, FamilyListing>()
  for (const record of definition.records()) {
    const { element } = record
    if (element.access === 'private' && element.appIndex !== top) continue
    if (element.layer !== 'Type' || element.scopedTo || !element.chain || record.problem) continue
    const family = familyOf(record)
    const meta = definition.record(element.chain[element.chain.length - 1])
    const listing = byFamily.get(family) ?? { family, title: meta?.element.define.title ?? family, types: [] }
    listing.types.push({ fullName: element.fullName, title: element.define.title })
    byFamily.set(family, listing)
  }
  for (const listing of byFamily.values()) listing.types.sort((a, b) => a.fullName.localeCompare(b.fullName))
  return [...byFamily.values()].sort((a, b) => a.family.localeCompare(b.family))
}

export interface TypeListing {
  fullName: string
  title: string
  family: string
  schema: JsonSchema
  help: TypeHelp | null
  canCheck: boolean
}

/**
 * A Type as the create form needs it: its config's JSON Schema, what it shows beside the form for an
 * Instance named `name` (a placeholder when none is given yet), and whether it can test a connection.
 */
export async function typeListing(
  workspace: ConsoleWorkspace,
  typeFullName: unknown,
  name?: unknown,
  config: Record<string, unknown> = {},
): Promise<TypeListing> {
  const definition = currentDefinition(workspace)
  const record = requireType(definition, typeFullName)
  const { type, jsonSchema } = await configOf(definition, record)
  const family = familyOf(record)
  const instanceName = name === undefined || name === '' ? '<Instance>' : checkElementName(name)
  const instance = family ? `${family}.${instanceName}` : instanceName
  const app = definition.app
  const origin = (app.publicUrl ?? 'http://127.0.0.1:3000').replace(/\/+$/, '')
  let help: TypeHelp | null = null
  try {
    help =
      type.help?.({
        instance,
        config,
        app,
        actionUrl: (action) => `${origin}${apiBase(app)}/${instance.split('.').join('/')}/${action}`,
      }) ?? null
  } catch (err) {
    // A Type's help is a convenience: its bug must not keep the form from opening.
    workspace.app.logger.error(`${record.element.fullName}: help() failed: ${(err as Error)?.message ?? err}`)
  }
  return {
    fullName: record.element.fullName,
    title: record.element.define.title,
    family,
    schema: jsonSchema,
    help,
    canCheck: typeof type.check === 'function',
  }
}
