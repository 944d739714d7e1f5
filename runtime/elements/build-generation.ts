import path from 'node:path'
import { type Env, loadBusinessConfig } from '../config/load.ts'
import { isTypeDefinition, type PrepareContext, type TypeDefinition } from '../define.ts'
import { JitError, redact } from '../errors.ts'
import { codeLocationOf } from './code-location.ts'
import type { ElementState } from './element-state.ts'
import { importOnce } from './import-once.ts'
import { mergeTypeChain } from './merge-type-chain.ts'
import type { RegisteredElement, Registry } from './resolve.ts'
import { type ScanFileSystem, TYPE_ENTRY } from './scan.ts'

export interface BuildOptions {
  fs: ScanFileSystem
  env: Env
  /** Import every Type's code, used or not (`jit check`, `jit sandbox`). Default: the Types in use. */
  importEveryType?: boolean
  /** Values the runtime sets over an Instance's written config (a database override, a sandbox). */
  configOverrides?: (
    element: RegisteredElement,
    type: TypeDefinition<any, any>,
    written: Readonly<Record<string, unknown>>,
  ) => Readonly<Record<string, unknown>> | undefined
}

/**
 * The phases of a build, in order, over the records of one registry: find the elements in use,
 * import their Types' code, merge each type chain, read and validate each Instance's config and
 * import its code, run the Types' prepare hooks. Each phase records problems on the element they
 * concern; an element with a problem is skipped by the phases after it. Returns every problem found,
 * each once, in element order.
 */
export async function buildElementStates(
  registry: Registry,
  states: ReadonlyMap<string, ElementState>,
  options: BuildOptions,
  contextOf: (state: ElementState) => PrepareContext<any>,
): Promise<JitError[]> {
  // The Types in use name the elements they get by name (`uses`); a framework Instance among them is
  // live too, and brings in its own Types.
  const used = new Set<string>()
  const everyType = options.importEveryType ?? false
  markLive(registry, states, everyType, used)
  await importTypes(states)
  while (addUses(states, used)) {
    markLive(registry, states, everyType, used)
    await importTypes(states)
  }
  mergeChains(states)
  await readInstances(states, options)
  await prepareInstances(states, contextOf)
  return collectProblems(registry, states)
}

/**
 * The error an element's own code caused, as the element's problem (secret values redacted), placed at
 * the line of that code which threw.
 */
export function asElementError(state: ElementState, err: unknown, doing: string): JitError {
  if (err instanceof JitError) return err
  const fullName = state.element.fullName
  const reason = redact((err as Error)?.message ?? String(err), state.config?.secretValues ?? [])
  return new JitError(
    'JIT_ELEMENT_BROKEN',
    `${doing} ${fullName} failed: ${reason}`,
    { element: fullName, ...codeLocationOf(err) },
    { cause: err },
  )
}

/** The live elements without a problem so far; Instances only when asked. */
function* usable(states: ReadonlyMap<string, ElementState>, instancesOnly: boolean): Generator<ElementState> {
  for (const state of states.values()) {
    if (!state.live || state.problem) continue
    if (instancesOnly && state.element.layer !== 'Instance') continue
    yield state
  }
}

/**
 * Marks the elements this build imports, reads and prepares: those some Instance's chain runs
 * through, and every Type of the user's own apps (so that a broken one is reported even before it is
 * used). The framework's unused Types are skipped: importing all of them (database drivers, the
 * WeChat client) would cost an app that uses none of them most of its start.
 */
function markLive(
  registry: Registry,
  states: ReadonlyMap<string, ElementState>,
  everyType: boolean,
  used: ReadonlySet<string>,
): void {
  const wanted = new Set<string>()
  const add = (element: RegisteredElement) => {
    for (const name of element.chain ?? []) wanted.add(name)
  }
  const scopedInstances: RegisteredElement[] = []
  for (const { element } of states.values()) {
    if (!element.chain) continue
    const fromUser = element.appIndex > 0 || registry.apps.length === 1
    if (!fromUser && element.layer === 'Instance' && !element.scopedTo && !used.has(element.fullName)) {
      // A framework Instance (databases.Default) nothing uses: not read, not prepared, no file made.
      if (everyType) for (const name of element.chain.slice(1)) wanted.add(name)
      continue
    }
    if (everyType || fromUser) add(element)
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
  for (const state of states.values()) state.live = wanted.has(state.element.fullName)
}

/** Adds to `used` what the Types of live Instances name in `uses`; whether it grew. */
function addUses(states: ReadonlyMap<string, ElementState>, used: Set<string>): boolean {
  const before = used.size
  for (const { element, live } of states.values()) {
    if (element.layer !== 'Instance' || !live) continue
    for (const name of element.chain ?? [])
      for (const target of states.get(name)?.ownType?.uses ?? []) used.add(target)
  }
  return used.size > before
}

/** Imports the type.ts of each live Type not imported yet. */
async function importTypes(states: ReadonlyMap<string, ElementState>): Promise<void> {
  const pending: Promise<void>[] = []
  for (const state of usable(states, false)) {
    const { element } = state
    if (state.ownType || element.layer === 'Instance' || !element.files.includes(TYPE_ENTRY)) continue
    pending.push(
      importModule(state, TYPE_ENTRY).then((module) => {
        if (!module) return
        if (isTypeDefinition(module.default)) {
          state.ownType = module.default
          return
        }
        state.fail(
          new JitError(
            'JIT_TYPE_ENTRY_INVALID',
            'type.ts must `export default defineType({...})` (import { defineType } from "jitlite")',
            { file: path.join(element.dir, TYPE_ENTRY), element: element.fullName },
          ),
        )
      }),
    )
  }
  await Promise.all(pending)
}

/** Gives each element the Type definition of its chain; an element whose chain has a broken Type fails. */
function mergeChains(states: ReadonlyMap<string, ElementState>): void {
  for (const state of usable(states, false)) {
    const { element } = state
    if (!element.chain) continue
    const brokenType = element.chain.slice(1).find((name) => states.get(name)?.problem)
    if (brokenType) {
      const cause = states.get(brokenType)!.problem!
      state.fail(
        new JitError('JIT_TYPE_CHAIN_BROKEN', `its type ${brokenType} cannot be used: ${cause.message}`, {
          file: path.join(element.dir, 'e.json'),
          field: 'type',
          element: element.fullName,
        }),
      )
      continue
    }
    state.type = mergeChain(element.chain, states)
  }
}

/** The Type definition of a chain (merge-type-chain.ts says how members combine). */
function mergeChain(
  chain: readonly string[],
  states: ReadonlyMap<string, ElementState>,
): TypeDefinition<any, any> {
  return mergeTypeChain(chain.map((name) => states.get(name)?.ownType))
}

async function readInstances(
  states: ReadonlyMap<string, ElementState>,
  options: BuildOptions,
): Promise<void> {
  const pending: Promise<void>[] = []
  const overrides = options.configOverrides
  for (const state of usable(states, true)) {
    const { element } = state
    const type = state.type!
    const config = loadBusinessConfig(
      {
        fullName: element.fullName,
        dir: element.dir,
        files: element.files,
        schema: type.config,
        env: options.env,
        overrides: overrides && ((written) => overrides(element, type, written)),
      },
      options.fs,
    )
    state.config = config
    if (config.problems.length > 0) {
      state.fail(config.problems[0], config.problems.slice(1))
      continue
    }
    const entry = element.define.backendBundleEntry ?? 'index.ts'
    if (element.files.includes(entry) || element.define.backendBundleEntry) {
      pending.push(
        importModule(state, entry).then((module) => {
          if (module) state.module = module
        }),
      )
    }
  }
  await Promise.all(pending)
}

async function prepareInstances(
  states: ReadonlyMap<string, ElementState>,
  contextOf: (state: ElementState) => PrepareContext<any>,
): Promise<void> {
  const pending: Promise<void>[] = []
  for (const state of usable(states, true)) {
    const type = state.type
    if (!type?.prepare) continue
    const ctx = contextOf(state)
    pending.push(
      Promise.resolve()
        .then(() => type.prepare!(ctx))
        .catch((err: unknown) => state.fail(asElementError(state, err, 'preparing'))),
    )
  }
  await Promise.all(pending)
}

function collectProblems(registry: Registry, states: ReadonlyMap<string, ElementState>): JitError[] {
  const seen = new Set<JitError>()
  const list: JitError[] = []
  const add = (problem: JitError) => {
    if (seen.has(problem)) return
    seen.add(problem)
    list.push(problem)
  }
  for (const problem of registry.problems) add(problem)
  for (const state of states.values()) {
    if (state.problem) add(state.problem)
    for (const extra of state.moreProblems ?? []) add(extra)
  }
  return list
}

async function importModule(
  state: ElementState,
  entry: string,
): Promise<Readonly<Record<string, unknown>> | undefined> {
  const file = path.resolve(state.element.dir, entry)
  try {
    return await importOnce(file)
  } catch (err) {
    const reason = ((err as Error)?.message ?? String(err)).split('\n')[0]
    state.fail(
      new JitError(
        'JIT_CODE_LOAD_FAILED',
        `cannot import ${entry}: ${reason}`,
        { file, element: state.element.fullName },
        { cause: err },
      ),
    )
    return undefined
  }
}
