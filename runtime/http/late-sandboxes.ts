import path from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import type { JitApp } from '../app.ts'
import { kState } from '../app-state.ts'
import type { TypeDefinition } from '../define.ts'
import type { AppDefinition } from '../elements/generation.ts'
import { importOnce } from '../elements/import-once.ts'
import { TYPE_ENTRY } from '../elements/scan.ts'
import type { SandboxDefinition } from './contract.ts'
import { sandboxBaseUrl, sandboxesOf } from './sandboxes.ts'

/** Headers that belong to one connection, or that the answer's sender sets itself. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date'])

/**
 * `jit dev` mounts at start the sandboxes of the Types in use. A Type first used later (an Instance
 * made by the console or in an editor, loaded by hot reload) brings its sandbox here: a
 * `/__sandbox/<name>/*` route builds that sandbox's own server on its first request and hands every
 * request to it, so the new Instance, pointed at `/__sandbox/<name>`, works without a restart.
 *
 * @example
 * const mounted = await mountSandboxes(fastify, app, publicUrl)
 * serveLateSandboxes(fastify, app, publicUrl, mounted)
 */
export function serveLateSandboxes(
  fastify: FastifyInstance,
  app: JitApp,
  publicUrl: string,
  /** The base URLs mountSandboxes mounted: their own routes answer, and this route stays out of them. */
  mounted: readonly string[],
): void {
  const servers = new Map<string, Promise<FastifyInstance>>()
  const serverFor = (sandbox: SandboxDefinition) => {
    let server = servers.get(sandbox.name)
    if (!server) {
      server = startSandbox(sandbox, publicUrl)
      servers.set(sandbox.name, server)
    }
    return server
  }
  fastify.addHook('onClose', async () => {
    await Promise.all([...servers.values()].map(async (server) => (await server).close()))
  })
  fastify.register(async (scope) => {
    // The sandbox parses its own bodies: they are handed over as they came.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
    scope.all<{ Params: { name: string } }>('/__sandbox/:name/*', async (request, reply) => {
      const name = request.params.name
      if (mounted.includes(sandboxBaseUrl(publicUrl, name))) return reply.callNotFound()
      const sandbox = await findSandbox(app[kState].definition, name)
      if (!sandbox) return reply.callNotFound()
      const server = await serverFor(sandbox)
      const headers = { ...request.headers }
      for (const header of NOT_FORWARDED) delete headers[header]
      const answer = await server.inject({
        method: request.method as 'GET',
        url: request.url,
        headers,
        payload: Buffer.isBuffer(request.body) ? request.body : undefined,
      })
      reply.code(answer.statusCode)
      for (const [header, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !NOT_FORWARDED.has(header)) reply.header(header, value)
      }
      return reply.send(answer.rawPayload)
    })
  })
}

/**
 * The sandbox named `name`: from a Type in use, else from the code of a Type no Instance uses yet
 * (the console's "Test connection" calls the provider before the first Instance exists).
 */
async function findSandbox(definition: AppDefinition, name: string): Promise<SandboxDefinition | undefined> {
  const inUse = sandboxesOf(definition).find((found) => found.name === name)
  if (inUse) return inUse
  for (const { element, type } of definition.records()) {
    if (type || element.layer !== 'Type' || !element.files.includes(TYPE_ENTRY)) continue
    try {
      const own = (await importOnce(path.join(element.dir, TYPE_ENTRY))).default as TypeDefinition<any, any>
      if (own?.sandbox?.name === name) return own.sandbox
    } catch {
      // A Type whose code does not import is reported where it is used, not here.
    }
  }
  return undefined
}

async function startSandbox(sandbox: SandboxDefinition, publicUrl: string): Promise<FastifyInstance> {
  const server = Fastify({ logger: false })
  await server.register(sandbox.plugin, {
    prefix: `/__sandbox/${sandbox.name}`,
    publicBaseUrl: sandboxBaseUrl(publicUrl, sandbox.name),
  })
  await server.ready()
  return server
}
