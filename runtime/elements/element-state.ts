import type { LoadedConfig } from '../config/load.ts'
import { withoutSecrets } from '../config/secrets.ts'
import type { ElementInfo, TypeDefinition } from '../define.ts'
import type { JitError } from '../errors.ts'
import { elementInfo } from './element-info.ts'
import type { RegisteredElement } from './resolve.ts'

/** What one build of the app knows of one registered element. */
export interface ElementRecord {
  /** Its scanned definition: e.json, folder, files, type chain. */
  readonly element: RegisteredElement
  /** What Type code and HTTP answers are told about it (frozen). */
  readonly info: ElementInfo
  /** Its Type definition, merged along its type chain. */
  readonly type: TypeDefinition<any, any> | undefined
  /** An Instance's business config as read: the validated value, its file, its secret fields. */
  readonly config: LoadedConfig | undefined
  /** The validated config without its secret fields; computed on each read (most requests never ask). */
  readonly publicConfig: Readonly<Record<string, unknown>> | undefined
  /** Why it cannot be used, if it cannot. */
  readonly problem: JitError | undefined
}

/**
 * An element as `getElement` and the HTTP layer reach it by name: its record, the Instance a Type's
 * child was reached through, and its object, built on first use.
 */
export interface ResolvedElement extends ElementRecord {
  /** The name it was reached by: its own, or `<Instance>.<child path>` for a Type's child. */
  readonly fullName: string
  readonly owner?: RegisteredElement
  /** Its own problem, its owner's, or that a Type's child was asked for without an Instance. */
  readonly problem: JitError | undefined
  /** The object getElement forwards to, built on first use; throws `problem`. Synchronous. */
  object(): any
}

/** The record of one registered element, filled in by the build phases (build-generation.ts). */
export class ElementState implements ElementRecord {
  readonly element: RegisteredElement
  /** Whether this build imports, reads and prepares it (see typesToImport). */
  live = false
  /** The definition its own type.ts exports (a Type or Meta with code). */
  ownType?: TypeDefinition<any, any>
  type: TypeDefinition<any, any> | undefined
  config: LoadedConfig | undefined
  /** Its own code: index.ts or e.json's backendBundleEntry. */
  module?: Readonly<Record<string, unknown>>
  problem: JitError | undefined
  /** Further problems of the same element (a config with several invalid fields), reported too. */
  moreProblems?: readonly JitError[]
  private frozenInfo?: ElementInfo

  constructor(element: RegisteredElement) {
    this.element = element
    this.problem = element.problem
  }

  get info(): ElementInfo {
    this.frozenInfo ??= Object.freeze(elementInfo(this.element))
    return this.frozenInfo
  }

  get publicConfig(): Readonly<Record<string, unknown>> | undefined {
    const loaded = this.config
    if (!loaded?.value) return undefined
    return withoutSecrets(loaded.value, loaded.secretPaths)
  }

  /** Records why the element cannot be used; the first reason found stays. */
  fail(problem: JitError, more: readonly JitError[] = []): void {
    this.problem ??= problem
    if (more.length > 0) this.moreProblems = [...more]
  }
}
