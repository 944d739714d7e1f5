import type { FastifyInstance } from 'fastify'
import { type ConfigOverride, createApp, type JitApp } from '../app.ts'
import { kState } from '../app-state.ts'
import type { AppDefinition } from '../elements/generation.ts'
import { silentLogger } from '../log.ts'
import type { SandboxDefinition } from './contract.ts'

/** Where `jit dev` serves a sandbox: `<publicUrl>/__sandbox/<name>`. */
export function sandboxBaseUrl(publicUrl: string, name: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/__sandbox/${name}`
}

/**
 * Config overrides that point every Instance of a Type with a sandbox at that sandbox, unless the
 * Instance names real hosts (the sandbox decides what counts as naming them).
 */
export function sandboxOverrides(publicUrl: string): ConfigOverride {
  return (_element, type, written, env) => {
    const sandbox = type.sandbox
    if (!sandbox) return undefined
    return sandbox.instanceConfig(written, sandboxBaseUrl(publicUrl, sandbox.name), env)
  }
}

/** Every distinct sandbox declared by the Types of a definition of the app. */
export function sandboxesOf(definition: AppDefinition): SandboxDefinition[] {
  const found = new Map<string, SandboxDefinition>()
  for (const { element, type } of definition.records()) {
    if (element.layer === 'Instance') continue
    const sandbox = type?.sandbox
    if (sandbox && !found.has(sandbox.name)) found.set(sandbox.name, sandbox)
  }
  return [...found.values()]
}

/**
 * The sandboxes of every Type visible from the app, used or not: the first Instance of a Type may be
 * created while `jit dev` runs (from the console), and its sandbox must then be there already. The
 * Types nothing uses yet are imported for this (in development only); a Type whose code does not
 * import is the app's problem to report, not a sandbox.
 */
export async function sandboxesOfEveryType(definition: AppDefinition): Promise<SandboxDefinition[]> {
  const { typeDefinitionOf } = await import('../console/type-definitions.ts')
  const found = new Map<string, SandboxDefinition>()
  for (const sandbox of sandboxesOf(definition)) found.set(sandbox.name, sandbox)
  for (const record of definition.records()) {
    const { element } = record
    if (element.layer !== 'Type' || element.scopedTo || record.type || record.problem) continue
    const sandbox = await typeDefinitionOf(definition, record).then(
      (type) => type?.sandbox,
      () => undefined,
    )
    if (sandbox && !found.has(sandbox.name)) found.set(sandbox.name, sandbox)
  }
  return [...found.values()]
}

/**
 * Mounts the sandboxes of every Type of the app under `/__sandbox/<name>/` (`jit dev`). They live as
 * long as the server.
 */
export async function mountSandboxes(
  fastify: FastifyInstance,
  app: JitApp,
  publicUrl: string,
): Promise<string[]> {
  const mounted: string[] = []
  for (const sandbox of await sandboxesOfEveryType(app[kState].definition)) {
    const publicBaseUrl = sandboxBaseUrl(publicUrl, sandbox.name)
    await fastify.register(sandbox.plugin, { prefix: `/__sandbox/${sandbox.name}`, publicBaseUrl })
    mounted.push(publicBaseUrl)
  }
  return mounted
}

/** `jit sandbox <name> [args]`: finds the sandbox among the Types visible from the app and runs it alone. */
export async function runSandbox(args: string[]): Promise<number> {
  const [name, ...rest] = args
  const appDirFlag = rest.indexOf('--app')
  const appDir = appDirFlag >= 0 ? rest[appDirFlag + 1] : 'app'
  const app = await createApp({ appDir, logger: silentLogger, importEveryType: true })
  const sandboxes = sandboxesOf(app[kState].definition)
  await app.close()
  const sandbox = sandboxes.find((s) => s.name === name)
  if (!sandbox) {
    const known = sandboxes.map((s) => s.name).join(', ') || 'none'
    console.error(`jit sandbox: no sandbox named "${name ?? ''}" (the app's Types ship: ${known})`)
    return 1
  }
  const forwarded = appDirFlag >= 0 ? rest.filter((_, i) => i !== appDirFlag && i !== appDirFlag + 1) : rest
  return sandbox.runCli(forwarded)
}
