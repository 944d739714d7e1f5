import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Env, type LoadedConfig, loadBusinessConfig } from '../config/load.ts'
import { withoutSecrets } from '../config/secrets.ts'
import {
  type AppInfo,
  type ElementInfo,
  isTypeDefinition,
  type LoadContext,
  type OwnerInfo,
  type SharedResources,
  type TypeDefinition,
} from '../define.ts'
import { ElementNotFoundError, JitError, redact } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { AppManifest } from './apps.ts'
import { mergeTypeChain } from './merge-type-chain.ts'
import { buildRegistry, type RegisteredElement, type Registry } from './resolve.ts'
import { type ElementDefinition, type ScanFileSystem, TYPE_ENTRY } from './scan.ts'

export interface GenerationOptions {
  fs: ScanFileSystem
  env: Env
  mode: AppInfo['mode']
  log: Logger
  resources: ResourcePool
  publicUrl?: string
  /** Import every Type's code, used or not (`jit check`, `jit sandbox`). Default: the Types in use. */
  importEveryType?: boolean
  /** Prepare and load without creating or changing anything (`jit check`). */
  dryRun?: boolean
  /** Values the runtime sets over an Instance's written config (a database override, a sandbox). */
  configOverrides?: (
    element: RegisteredElement,
    type: TypeDefinition<any, any>,
    written: Readonly<Record<string, unknown>>,
  ) => Readonly<Record<string, unknown>> | undefined
}

/** A resolved element as getElement finds it: the element, and the Instance it was reached through. */
export interface Located {
  element: RegisteredElement
  owner?: RegisteredElement
}

let generationCounter = 0

/**
 * One complete, validated build of an app: its registry, every Type's code, every Instance's config.
 * Objects are loaded from it lazily. A hot reload builds a new Generation beside the current one and
 * retires the old one once the calls in flight on it have finished.
 */
export class Generation {
  readonly id = ++generationCounter
  readonly registry: Registry
  readonly app: AppInfo
  private readonly options: GenerationOptions
  private readonly typeModules = new Map<string, TypeDefinition<any, any>>()
  private readonly effectiveTypes = new Map<string, TypeDefinition<any, any>>()
  private readonly codeModules = new Map<string, Readonly<Record<string, unknown>>>()
  private readonly configs = new Map<string, LoadedConfig>()
  private readonly errors = new Map<string, JitError>()
  private readonly problemList: JitError[] = []
  private readonly objects = new Map<string, unknown>()
  private readonly held = new Set<string>()
  /** The elements this generation imports, reads and prepares (see typesToImport). */
  private live = new Set<string>()
  private inflight = 0
  private retired = false
  private disposed?: Promise<void>

  private constructor(registry: Registry, options: GenerationOptions) {
    this.registry = registry
    this.options = options
    const top = registry.topApp
    this.app = Object.freeze({
      orgId: top.json.orgId,
      name: top.json.name,
      title: top.json.title,
      version: top.json.version,
      dir: top.root,
      mode: options.mode,
      publicUrl: options.publicUrl,
    })
  }

  /** Builds and validates a generation: resolve types, import code, read configs, run prepare hooks. */
  static async build(
    apps: readonly AppManifest[],
    scanned: readonly ElementDefinition[][],
    options: GenerationOptions,
  ): Promise<Generation> {
    const generation = new Generation(buildRegistry(apps, scanned), options)
    await generation.initialize()
    return generation
  }

  /** Every problem found, each once, in element order. */
  get problems(): readonly JitError[] {
    return this.problemList
  }

  /** The problem that makes `fullName` unusable, if any. */
  problemOf(fullName: string): JitError | undefined {
    return this.errors.get(fullName)
  }

  configOf(fullName: string): LoadedConfig | undefined {
    return this.configs.get(fullName)
  }

  /** The merged Type definition an element's objects are built with. */
  typeOf(element: RegisteredElement): TypeDefinition<any, any> | undefined {
    return this.effectiveTypes.get(element.fullName)
  }

  /** Exact fullName first, then `<Instance>.<child>` along the Instance's type chain. */
  locate(fullName: string): Located | undefined {
    const exact = this.registry.get(fullName)
    if (exact) return { element: exact }
    return this.registry.resolveScoped(fullName)
  }

  /** Throws the error getElement reports for a name that cannot be used; returns where it is otherwise. */
  check(fullName: string): Located {
    const located = this.locate(fullName)
    if (!located) {
      const hint = this.registry.suggest(fullName)
      const didYouMean = hint.length > 0 ? `; did you mean ${hint.map((h) => `"${h}"`).join(' or ')}?` : ''
      throw new ElementNotFoundError(`no element named "${fullName}"${didYouMean}`, { element: fullName })
    }
    const { element, owner } = located
    if (element.scopedTo && !owner) {
      const instances = this.instancesOf(element.scopedTo)
      const example =
        instances.length > 0
          ? ` (for example ${instances[0]}.${fullName.slice(element.scopedTo.length + 1)})`
          : ''
      throw new JitError(
        'JIT_ELEMENT_NEEDS_INSTANCE',
        `${fullName} belongs to ${element.scopedTo}: reach it through an Instance of that Type${example}`,
        { element: fullName },
      )
    }
    const problem = (owner && this.errors.get(owner.fullName)) || this.errors.get(element.fullName)
    if (problem) throw problem
    if (element.layer === 'Instance' && !element.scopedTo && !this.live.has(element.fullName)) {
      const folder = element.fullName.split('.').join('/')
      throw new JitError(
        'JIT_ELEMENT_NOT_IN_USE',
        `${fullName} comes from the framework and is loaded only in an app whose Types name it in \`uses\` ` +
          `(a model, a login type); nothing in this app does. To use it directly, declare it in the app: ${folder}/e.json`,
        { element: fullName },
      )
    }
    return located
  }

  /** The object getElement forwards to, built on first use. Synchronous. */
  load(fullName: string): any {
    const cached = this.objects.get(fullName)
    if (cached !== undefined || this.objects.has(fullName)) return cached
    const { element, owner } = this.check(fullName)
    if (this.retired && this.disposed) {
      throw new JitError(
        'JIT_ELEMENT_BROKEN',
        `${fullName} was loaded from a registry that has been replaced`,
        {
          element: fullName,
        },
      )
    }
    const object = this.instantiate(element, owner)
    this.objects.set(fullName, object)
    return object
  }

  /** Runs `call` as a call in flight on this generation: a retired generation is disposed after it. */
  track<T>(call: () => T): T {
    this.inflight++
    let result: T
    try {
      result = call()
    } catch (err) {
      this.settle()
      throw err
    }
    if (result instanceof Promise) {
      return result.finally(() => this.settle()) as T
    }
    this.settle()
    return result
  }

  /** Marks this generation as replaced; it is disposed once nothing is in flight on it. */
  retire(): Promise<void> {
    this.retired = true
    if (this.inflight === 0) return this.dispose()
    return new Promise((resolve) => {
      this.onIdle = () => void this.dispose().then(resolve)
    })
  }

  /** Disposes every loaded object and releases shared resources. Idempotent. */
  dispose(): Promise<void> {
    this.disposed ??= this.disposeNow()
    return this.disposed
  }

  private onIdle?: () => void

  private settle(): void {
    this.inflight--
    if (this.inflight === 0 && this.retired && this.onIdle) {
      const idle = this.onIdle
      this.onIdle = undefined
      idle()
    }
  }

  private async disposeNow(): Promise<void> {
    const failures: unknown[] = []
    for (const [fullName, object] of [...this.objects].reverse()) {
      const located = this.locate(fullName)
      const type = located && this.effectiveTypes.get(located.element.fullName)
      try {
        if (type?.dispose) await type.dispose(object)
        else if (object && typeof (object as { dispose?: unknown }).dispose === 'function') {
          await (object as { dispose(): unknown }).dispose()
        }
      } catch (err) {
        failures.push(err)
      }
    }
    this.objects.clear()
    for (const key of this.held) await this.options.resources.release(key, this.id)
    this.held.clear()
    for (const err of failures)
      this.options.log.error(`disposing an element failed: ${(err as Error).message}`)
  }

  private instancesOf(typeName: string): string[] {
    const names: string[] = []
    for (const element of this.registry.elements.values()) {
      if (element.layer === 'Instance' && !element.scopedTo && element.chain?.includes(typeName))
        names.push(element.fullName)
    }
    return names.sort()
  }

  private async initialize(): Promise<void> {
    for (const element of this.registry.elements.values()) {
      if (element.problem) this.errors.set(element.fullName, element.problem)
    }
    await this.importTypes()
    await this.readInstances()
    await this.prepareInstances()
    this.collectProblems()
  }

  /**
   * The Types whose code this generation imports: those some Instance's chain runs through, and every
   * Type of the user's own apps (so that a broken one is reported even before it is used). The
   * framework's unused Types are skipped: importing all of them (database drivers, the WeChat client)
   * would cost an app that uses none of them most of its start.
   */
  private typesToImport(used: ReadonlySet<string>): Set<string> {
    const wanted = new Set<string>()
    const add = (element: RegisteredElement) => {
      for (const name of element.chain ?? []) wanted.add(name)
    }
    const scopedInstances: RegisteredElement[] = []
    for (const element of this.registry.elements.values()) {
      if (!element.chain) continue
      const fromUser = element.appIndex > 0 || this.registry.apps.length === 1
      if (!fromUser && element.layer === 'Instance' && !element.scopedTo && !used.has(element.fullName)) {
        // A framework Instance (databases.Default) nothing uses: not read, not prepared, no file made.
        if (this.options.importEveryType) for (const name of element.chain.slice(1)) wanted.add(name)
        continue
      }
      if (this.options.importEveryType || fromUser) add(element)
      else if (element.layer === 'Instance' && element.scopedTo) scopedInstances.push(element)
      else if (element.layer === 'Instance') add(element)
    }
    // A Type's child (WechatPublicAuthSvc) serves that Type's Instances: it is live when its Type is.
    let grew = true
    while (grew) {
      grew = false
      for (const element of scopedInstances) {
        if (wanted.has(element.fullName) || !wanted.has(element.scopedTo!)) continue
        add(element)
        grew = true
      }
    }
    return wanted
  }

  private async importTypes(): Promise<void> {
    const used = new Set<string>()
    let wanted = this.typesToImport(used)
    await this.importTypeModules(wanted)
    // The Types in use name the elements they get by name (`uses`); a framework Instance among them
    // is live too, and brings in its own Types.
    while (this.addUses(wanted, used)) {
      wanted = this.typesToImport(used)
      await this.importTypeModules(wanted)
    }
    this.live = wanted
    for (const element of this.registry.elements.values()) {
      if (!element.chain || this.errors.has(element.fullName) || !wanted.has(element.fullName)) continue
      const brokenType = element.chain.slice(1).find((name) => this.errors.has(name))
      if (brokenType) {
        const cause = this.errors.get(brokenType)!
        this.fail(
          element,
          new JitError('JIT_TYPE_CHAIN_BROKEN', `its type ${brokenType} cannot be used: ${cause.message}`, {
            file: path.join(element.dir, 'e.json'),
            field: 'type',
            element: element.fullName,
          }),
        )
        continue
      }
      this.effectiveTypes.set(element.fullName, this.mergeChain(element.chain))
    }
  }

  /** Imports the type.ts of each wanted Type not imported yet. */
  private async importTypeModules(wanted: ReadonlySet<string>): Promise<void> {
    const pending: Promise<void>[] = []
    for (const element of this.registry.elements.values()) {
      if (element.problem || element.layer === 'Instance' || !element.files.includes(TYPE_ENTRY)) continue
      if (!wanted.has(element.fullName) || this.typeModules.has(element.fullName)) continue
      if (this.errors.has(element.fullName)) continue
      pending.push(
        this.importModule(element, TYPE_ENTRY).then((module) => {
          if (!module) return
          if (!isTypeDefinition(module.default)) {
            this.fail(
              element,
              new JitError(
                'JIT_TYPE_ENTRY_INVALID',
                'type.ts must `export default defineType({...})` (import { defineType } from "jitlite")',
                { file: path.join(element.dir, TYPE_ENTRY), element: element.fullName },
              ),
            )
            return
          }
          this.typeModules.set(element.fullName, module.default)
        }),
      )
    }
    await Promise.all(pending)
  }

  /** Adds to `used` what the Types of live Instances name in `uses`; whether it grew. */
  private addUses(wanted: ReadonlySet<string>, used: Set<string>): boolean {
    const before = used.size
    for (const element of this.registry.elements.values()) {
      if (element.layer !== 'Instance' || !wanted.has(element.fullName)) continue
      for (const name of element.chain ?? [])
        for (const target of this.typeModules.get(name)?.uses ?? []) used.add(target)
    }
    return used.size > before
  }

  /** The Type definition of a chain (merge-type-chain.ts says how members combine). */
  private mergeChain(chain: readonly string[]): TypeDefinition<any, any> {
    return mergeTypeChain(chain.map((name) => this.typeModules.get(name)))
  }

  private async readInstances(): Promise<void> {
    const pending: Promise<void>[] = []
    for (const element of this.registry.elements.values()) {
      if (element.layer !== 'Instance' || this.errors.has(element.fullName)) continue
      if (!this.live.has(element.fullName)) continue
      const type = this.effectiveTypes.get(element.fullName)!
      const config = loadBusinessConfig(
        {
          fullName: element.fullName,
          dir: element.dir,
          files: element.files,
          schema: type.config,
          env: this.options.env,
          overrides:
            this.options.configOverrides &&
            ((written) => this.options.configOverrides!(element, type, written)),
        },
        this.options.fs,
      )
      this.configs.set(element.fullName, config)
      if (config.problems.length > 0) {
        this.fail(element, config.problems[0], config.problems.slice(1))
        continue
      }
      const entry = element.define.backendBundleEntry ?? 'index.ts'
      if (element.files.includes(entry) || element.define.backendBundleEntry) {
        pending.push(
          this.importModule(element, entry).then((module) => {
            if (module) this.codeModules.set(element.fullName, module)
          }),
        )
      }
    }
    await Promise.all(pending)
  }

  private async prepareInstances(): Promise<void> {
    const pending: Promise<void>[] = []
    for (const element of this.registry.elements.values()) {
      if (element.layer !== 'Instance' || this.errors.has(element.fullName)) continue
      if (!this.live.has(element.fullName)) continue
      const type = this.effectiveTypes.get(element.fullName)
      if (!type?.prepare) continue
      const ctx = this.context(element, undefined)
      pending.push(
        Promise.resolve()
          .then(() => type.prepare!(ctx))
          .catch((err: unknown) => this.fail(element, this.asElementError(element, err, 'preparing'))),
      )
    }
    await Promise.all(pending)
  }

  private collectProblems(): void {
    const seen = new Set<JitError>()
    const add = (problem: JitError) => {
      if (seen.has(problem)) return
      seen.add(problem)
      this.problemList.push(problem)
    }
    for (const problem of this.registry.problems) add(problem)
    for (const element of this.registry.elements.values()) {
      const problem = this.errors.get(element.fullName)
      if (problem) add(problem)
      for (const extra of this.extraProblems.get(element.fullName) ?? []) add(extra)
    }
  }

  private readonly extraProblems = new Map<string, JitError[]>()

  private fail(element: RegisteredElement, problem: JitError, more: readonly JitError[] = []): void {
    if (!this.errors.has(element.fullName)) this.errors.set(element.fullName, problem)
    if (more.length > 0) this.extraProblems.set(element.fullName, [...more])
  }

  private async importModule(
    element: RegisteredElement,
    entry: string,
  ): Promise<Readonly<Record<string, unknown>> | undefined> {
    const file = path.resolve(element.dir, entry)
    try {
      return await importOnce(file)
    } catch (err) {
      const reason = ((err as Error)?.message ?? String(err)).split('\n')[0]
      this.fail(
        element,
        new JitError(
          'JIT_CODE_LOAD_FAILED',
          `cannot import ${entry}: ${reason}`,
          { file, element: element.fullName },
          { cause: err },
        ),
      )
      return undefined
    }
  }

  private instantiate(element: RegisteredElement, owner: RegisteredElement | undefined): unknown {
    const type = this.effectiveTypes.get(element.fullName)
    if (element.layer !== 'Instance' || !type)
      return type ?? this.typeModules.get(element.fullName) ?? Object.freeze({})
    const ctx = this.context(element, owner)
    if (!type.load) return ctx.config
    try {
      return type.load(ctx)
    } catch (err) {
      throw this.asElementError(element, err, 'loading')
    }
  }

  private asElementError(element: RegisteredElement, err: unknown, doing: string): JitError {
    if (err instanceof JitError) return err
    const secrets = this.configs.get(element.fullName)?.secretValues ?? []
    const reason = redact((err as Error)?.message ?? String(err), secrets)
    return new JitError(
      'JIT_ELEMENT_BROKEN',
      `${doing} ${element.fullName} failed: ${reason}`,
      { element: element.fullName },
      { cause: err },
    )
  }

  /** The context handed to a Type's prepare and load for one element (and the Instance it serves). */
  context(element: RegisteredElement, owner: RegisteredElement | undefined): LoadContext<any> {
    const ownerInfo: OwnerInfo | undefined = owner && {
      element: elementInfo(owner),
      config: this.configs.get(owner.fullName)?.value ?? Object.freeze({}),
      getChild: (childPath: string) => this.load(`${owner.fullName}.${childPath}`),
    }
    const resources: SharedResources = {
      acquire: (key, create, dispose) => {
        this.held.add(key)
        return this.options.resources.acquire(key, this.id, create, dispose)
      },
    }
    const loaded = this.configs.get(element.fullName)
    return {
      element: { ...elementInfo(element), configFile: loaded?.file },
      config: loaded?.value ?? Object.freeze({}),
      module: this.codeModules.get(element.fullName),
      owner: ownerInfo,
      app: this.app,
      log: this.options.log,
      env: this.options.env,
      resources,
      dryRun: this.options.dryRun ?? false,
      getElement: (fullName: string) => this.load(fullName),
    }
  }

  /** The public config of an Instance: without its secret fields. */
  publicConfigOf(fullName: string): Readonly<Record<string, unknown>> | undefined {
    const loaded = this.configs.get(fullName)
    if (!loaded?.value) return undefined
    return withoutSecrets(loaded.value, loaded.secretPaths)
  }
}

const imported = new Map<string, Promise<Readonly<Record<string, unknown>>>>()

/**
 * Imports element code once per process. Node's module cache would give the same module again
 * anyway (ES modules cannot be unloaded: code edits restart the process under `jit dev`), but each
 * `import()` still goes through the loader hooks that compile TypeScript, which costs a hot reload
 * more than all its file reads. A failed import is not remembered, so a fixed file imports.
 */
function importOnce(file: string): Promise<Readonly<Record<string, unknown>>> {
  let module = imported.get(file)
  if (!module) {
    module = import(pathToFileURL(file).href) as Promise<Record<string, unknown>>
    imported.set(file, module)
    module.catch(() => imported.delete(file))
  }
  return module
}

export function elementInfo(element: RegisteredElement): ElementInfo {
  return {
    fullName: element.fullName,
    title: element.define.title,
    layer: element.layer,
    type: element.define.type,
    app: element.app.id,
    dir: element.dir,
    define: element.define,
    scopedTo: element.scopedTo,
  }
}

interface PooledResource {
  value: unknown
  holders: Set<number>
  dispose: (value: any) => void | Promise<void>
}

/** Resources shared across generations (database connections), released when no generation holds them. */
export class ResourcePool {
  private readonly entries = new Map<string, PooledResource>()

  acquire<T>(key: string, holder: number, create: () => T, dispose: (value: T) => void | Promise<void>): T {
    let entry = this.entries.get(key)
    if (!entry) {
      entry = { value: create(), holders: new Set(), dispose }
      this.entries.set(key, entry)
    }
    entry.holders.add(holder)
    return entry.value as T
  }

  async release(key: string, holder: number): Promise<void> {
    const entry = this.entries.get(key)
    if (!entry) return
    entry.holders.delete(holder)
    if (entry.holders.size > 0) return
    this.entries.delete(key)
    await entry.dispose(entry.value)
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()]
    this.entries.clear()
    for (const entry of all) await entry.dispose(entry.value)
  }
}
