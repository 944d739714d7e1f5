import path from 'node:path'
import { isTypeDefinition, type TypeDefinition } from '../define.ts'
import type { ElementRecord } from '../elements/element-state.ts'
import type { AppDefinition } from '../elements/generation.ts'
import { importOnce } from '../elements/import-once.ts'
import { mergeTypeChain } from '../elements/merge-type-chain.ts'
import { TYPE_ENTRY } from '../elements/scan.ts'
import { JitError } from '../errors.ts'

/**
 * The merged definition of a Type (or of an Instance's Type). The running app imports only the Types
 * it uses; the console also shows the others (to create the first Instance of one), so their chain is
 * imported here on demand.
 */
export async function typeDefinitionOf(
  definition: AppDefinition,
  record: ElementRecord,
): Promise<TypeDefinition<any, any> | undefined> {
  if (record.type) return record.type
  const chain = record.element.chain
  if (!chain) return undefined
  const links = record.element.layer === 'Instance' ? chain.slice(1) : chain
  const owns: (TypeDefinition<any, any> | undefined)[] = []
  for (const name of links) {
    const link = definition.record(name)?.element
    if (!link?.files.includes(TYPE_ENTRY)) {
      owns.push(undefined)
      continue
    }
    const module = await importOnce(path.join(link.dir, TYPE_ENTRY))
    if (!isTypeDefinition(module.default)) {
      throw new JitError('JIT_TYPE_ENTRY_INVALID', 'type.ts does not default-export defineType({...})', {
        file: path.join(link.dir, TYPE_ENTRY),
        element: name,
      })
    }
    owns.push(module.default)
  }
  return mergeTypeChain(owns)
}

/** The family an element belongs to: the folder of its Meta (`auths.loginTypes` for login Types). */
export function familyOf(record: ElementRecord): string {
  const { element } = record
  const meta = element.chain?.[element.chain.length - 1] ?? element.fullName
  const segments = meta.split('.')
  return segments.slice(0, -1).join('.')
}
