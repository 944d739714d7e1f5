import path from 'node:path'
import { JitError } from '../errors.ts'
import type { AppManifest } from './apps.ts'
import type { ElementDefinition } from './scan.ts'
import { suggestNames } from './suggest.ts'

export type AccessModifier = 'public' | 'protected' | 'private'

/** An element as the merged app stack sees it. */
export interface RegisteredElement extends ElementDefinition {
  /** The app the winning definition comes from. */
  readonly app: AppManifest
  readonly appIndex: number
  readonly access: AccessModifier
  /** The inherited element this one overrides. */
  readonly overrides?: RegisteredElement
  /** [self, type, type's type, ..., Meta], once resolution succeeded. */
  readonly chain?: readonly string[]
  /** The Type (or Meta) whose child this element is: it is reached through that Type's Instances. */
  readonly scopedTo?: string
}

/**
 * The merged, resolved view of an app stack: which definition of each fullName wins, each element's
 * type chain, and every problem found on the way. Immutable; a reload builds a new one.
 */
export class Registry {
  readonly apps: readonly AppManifest[]
  readonly elements: ReadonlyMap<string, RegisteredElement>
  /** Every problem, including those of elements refused outright (an override of a protected element). */
  readonly problems: readonly JitError[]

  constructor(apps: readonly AppManifest[], elements: Map<string, RegisteredElement>, problems: JitError[]) {
    this.apps = apps
    this.elements = elements
    this.problems = problems
  }

  get topApp(): AppManifest {
    return this.apps[this.apps.length - 1]
  }

  /** An element visible from the top app (private elements of inherited apps are not). */
  get(fullName: string): RegisteredElement | undefined {
    const element = this.elements.get(fullName)
    if (!element || !this.isVisible(element)) return undefined
    return element
  }

  isVisible(element: RegisteredElement): boolean {
    return element.access !== 'private' || element.appIndex === this.apps.length - 1
  }

  /**
   * Resolves `<Instance>.<child path>` to the child element declared under one of the Instance's
   * Types, trying the longest Instance prefix first and then the type chain from the nearest Type up.
   */
  resolveScoped(fullName: string): { element: RegisteredElement; owner: RegisteredElement } | undefined {
    const segments = fullName.split('.')
    for (let i = segments.length - 1; i >= 1; i--) {
      const owner = this.get(segments.slice(0, i).join('.'))
      if (owner?.layer !== 'Instance' || !owner.chain || owner.scopedTo) continue
      const rest = segments.slice(i).join('.')
      for (const typeName of owner.chain.slice(1)) {
        const element = this.elements.get(`${typeName}.${rest}`)
        if (element) return { element, owner }
      }
    }
    return undefined
  }

  /** Up to three visible fullNames close to `name`, for "did you mean" hints. */
  suggest(name: string, filter?: (element: RegisteredElement) => boolean): string[] {
    const names: string[] = []
    for (const element of this.elements.values()) {
      if (this.isVisible(element) && (!filter || filter(element))) names.push(element.fullName)
    }
    return suggestNames(name, names)
  }
}

/**
 * Merges the elements of an app stack (bottom first) and resolves every element's type chain.
 * Pure: the same inputs give the same registry.
 */
export function buildRegistry(
  apps: readonly AppManifest[],
  scanned: readonly ElementDefinition[][],
): Registry {
  const elements = new Map<string, RegisteredElement>()
  const problems: JitError[] = []
  apps.forEach((app, appIndex) => {
    for (const definition of scanned[appIndex]) {
      const registered: RegisteredElement = {
        ...definition,
        app,
        appIndex,
        access: definition.define.accessModifier ?? 'public',
      }
      const inherited = elements.get(definition.fullName)
      if (inherited?.access === 'protected' && inherited.appIndex !== appIndex) {
        problems.push(
          new JitError(
            'JIT_OVERRIDE_PROTECTED',
            `overrides ${definition.fullName} of app ${inherited.app.id}, which is protected: ` +
              'give this element another name, or make it a Type that extends the protected one',
            { file: path.join(definition.dir, 'e.json'), field: 'type', element: definition.fullName },
          ),
        )
        continue
      }
      elements.set(definition.fullName, inherited ? { ...registered, overrides: inherited } : registered)
    }
  })

  const resolved = new Map<string, RegisteredElement>()
  const resolver = new ChainResolver(elements)
  for (const element of elements.values()) {
    const result = resolver.resolve(element, [])
    const scopedTo = findScope(element, elements)
    resolved.set(element.fullName, { ...element, ...result, scopedTo })
  }
  for (const element of resolved.values()) if (element.problem) problems.push(element.problem)
  return new Registry(apps, resolved, problems)
}

interface ChainResult {
  chain?: readonly string[]
  problem?: JitError
}

class ChainResolver {
  private readonly memo = new Map<string, ChainResult>()

  constructor(private readonly elements: ReadonlyMap<string, RegisteredElement>) {}

  resolve(element: RegisteredElement, visiting: readonly string[]): ChainResult {
    const known = this.memo.get(element.fullName)
    if (known) return known
    if (element.problem) return this.remember(element, { problem: element.problem })
    if (element.layer === 'Meta') return this.remember(element, { chain: [element.fullName] })

    const cycleStart = visiting.indexOf(element.fullName)
    if (cycleStart >= 0) return this.reportCycle(visiting.slice(cycleStart))

    const typeName = element.define.type
    const target = this.lookup(typeName, element)
    if (!target) return this.remember(element, { problem: this.unknownType(element, typeName) })
    if (element.layer === 'Instance' && target.layer === 'Meta') {
      return this.remember(element, {
        problem: problemAt(
          element,
          'JIT_INSTANCE_OF_META',
          `"${typeName}" is a Meta: an Instance takes a Type of that family (a Type is a folder with type.ts)`,
        ),
      })
    }
    if (target.layer === 'Instance' && !target.problem) {
      return this.remember(element, {
        problem: problemAt(
          element,
          'JIT_TYPE_CHAIN_BROKEN',
          `"${typeName}" is an Instance, not a Type: the chain from ${element.fullName} never reaches a Meta`,
        ),
      })
    }
    const parent = this.resolve(target, [...visiting, element.fullName])
    const settled = this.memo.get(element.fullName)
    if (settled) return settled // this element was part of a cycle reported on the way
    if (parent.problem) {
      return this.remember(element, {
        problem: problemAt(
          element,
          'JIT_TYPE_CHAIN_BROKEN',
          `its type ${typeName} cannot be used: ${parent.problem.message}`,
        ),
      })
    }
    return this.remember(element, { chain: [element.fullName, ...(parent.chain ?? [])] })
  }

  private lookup(typeName: string, from: RegisteredElement): RegisteredElement | undefined {
    const target = this.elements.get(typeName)
    if (!target) return undefined
    if (target.access === 'private' && target.appIndex !== from.appIndex) return undefined
    return target
  }

  private unknownType(element: RegisteredElement, typeName: string): JitError {
    const candidates: string[] = []
    for (const other of this.elements.values()) {
      const usable = other.layer === 'Type' || (other.layer === 'Meta' && element.layer === 'Type')
      if (usable && this.lookup(other.fullName, element)) candidates.push(other.fullName)
    }
    const hint = suggestNames(typeName, candidates)
    const privateOne = this.elements.get(typeName)
    const why = privateOne ? ` (${typeName} is private to app ${privateOne.app.id})` : ''
    const didYouMean = hint.length > 0 ? `; did you mean ${hint.map((h) => `"${h}"`).join(' or ')}?` : ''
    return problemAt(element, 'JIT_TYPE_UNKNOWN', `unknown type "${typeName}"${why}${didYouMean}`)
  }

  private reportCycle(members: readonly string[]): ChainResult {
    const loop = [...members, members[0]].join(' -> ')
    let first: ChainResult | undefined
    for (const name of members) {
      const member = this.elements.get(name)
      if (!member) continue
      const result = { problem: problemAt(member, 'JIT_TYPE_CYCLE', `type chain loops: ${loop}`) }
      this.memo.set(name, result)
      first ??= result
    }
    return first ?? {}
  }

  private remember(element: RegisteredElement, result: ChainResult): ChainResult {
    this.memo.set(element.fullName, result)
    return result
  }
}

function problemAt(element: RegisteredElement, code: JitError['code'], message: string): JitError {
  return new JitError(code, message, {
    file: path.join(element.dir, 'e.json'),
    field: 'type',
    element: element.fullName,
  })
}

function findScope(
  element: RegisteredElement,
  elements: ReadonlyMap<string, RegisteredElement>,
): string | undefined {
  let parentName = element.parent
  while (parentName) {
    const parent = elements.get(parentName)
    if (!parent) return undefined
    if (parent.layer === 'Type' || parent.layer === 'Meta') return parent.fullName
    parentName = parent.parent
  }
  return undefined
}
