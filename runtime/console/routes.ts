import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Generation } from '../elements/generation.ts'
import { JitError } from '../errors.ts'
import type { Logger } from '../log.ts'
import { isLoopback } from './bind.ts'
import type { TreeEvents } from './events.ts'
import type { ConsoleAddress } from './guard.ts'
import {
  ConfigRejected,
  createInstance,
  diffInstance,
  instanceDetail,
  undoInstance,
  updateInstance,
} from './instances.ts'
import { overrideElement } from './override.ts'
import { checkElementConfig, checkTypeConfig } from './run-check.ts'
import { listTrash, restoreElement, trashElement } from './trash.ts'
import { elementTree } from './tree.ts'
import { families, typeListing } from './type-info.ts'
import { type ConsoleWorkspace, currentDefinition } from './workspace.ts'

const STATUS: Partial<Record<JitError['code'], number>> = {
  JIT_CONSOLE_CSRF: 403,
  JIT_CONSOLE_ORIGIN: 403,
  JIT_CONSOLE_NAME_INVALID: 400,
  JIT_CONSOLE_BAD_REQUEST: 400,
  JIT_CONSOLE_NOT_EDITABLE: 400,
  JIT_CONSOLE_NAME_TAKEN: 409,
  JIT_CONSOLE_FILE_CHANGED: 409,
  JIT_CONSOLE_NOT_FOUND: 404,
  JIT_CONFIG_INVALID: 422,
}

type Params = { fullName: string; typeName: string; trashId: string }
type Handler = (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => Promise<unknown>

/** The console's JSON API under `/__jit/api/` (see the console API contract). */
export function registerConsoleApi(
  fastify: FastifyInstance,
  workspace: ConsoleWorkspace,
  context: { events: TreeEvents; address: ConsoleAddress; log?: Logger },
): void {
  const answer =
    (handler: Handler, status = 200) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        const body = await handler(request as FastifyRequest<{ Params: Params }>, reply)
        return reply.code(status).header('cache-control', 'no-store').send(body)
      } catch (err) {
        return sendError(reply, err, context.log)
      }
    }
  const body = (request: FastifyRequest): Record<string, unknown> => {
    const value = request.body ?? {}
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new JitError('JIT_CONSOLE_BAD_REQUEST', 'send a JSON object')
    }
    return value as Record<string, unknown>
  }

  fastify.get(
    '/__jit/api/app',
    answer(async () => {
      const definition = currentDefinition(workspace)
      const apps = definition instanceof Generation ? definition.registry.apps : []
      const { bindHost, bindPort } = context.address
      return {
        name: definition.app.name,
        title: definition.app.title,
        dir: definition.app.dir,
        extends: apps.slice(0, -1).map((app) => app.id),
        bind: { host: bindHost, port: bindPort, loopback: isLoopback(bindHost) },
      }
    }),
  )
  fastify.get(
    '/__jit/api/elements',
    answer(async () => ({ version: context.events.version, elements: elementTree(workspace.app) })),
  )
  fastify.get('/__jit/api/events', (request, reply) => context.events.open(request, reply))
  fastify.get(
    '/__jit/api/families',
    answer(async () => families(workspace)),
  )
  fastify.get(
    '/__jit/api/types/:typeName',
    answer(async (request) => {
      const query = request.query as { name?: string }
      return typeListing(workspace, request.params.typeName, query.name)
    }),
  )
  fastify.post(
    '/__jit/api/types/:typeName/check',
    answer(async (request, reply) =>
      checkTypeConfig(workspace, request.params.typeName, body(request), abortOnClose(reply)),
    ),
  )
  fastify.get(
    '/__jit/api/elements/:fullName',
    answer(async (request) => instanceDetail(workspace, request.params.fullName)),
  )
  fastify.post(
    '/__jit/api/elements',
    answer(async (request) => {
      const { type, name, title, config, secretValues } = body(request)
      return createInstance(workspace, { type, name, title, config, secretValues })
    }, 201),
  )
  fastify.post(
    '/__jit/api/elements/:fullName/diff',
    answer(async (request) => diffInstance(workspace, request.params.fullName, body(request))),
  )
  fastify.put(
    '/__jit/api/elements/:fullName',
    answer(async (request) => updateInstance(workspace, request.params.fullName, body(request))),
  )
  fastify.post(
    '/__jit/api/elements/:fullName/undo',
    answer(async (request) => undoInstance(workspace, request.params.fullName)),
  )
  fastify.delete(
    '/__jit/api/elements/:fullName',
    answer(async (request) => trashElement(workspace, request.params.fullName)),
  )
  fastify.post(
    '/__jit/api/elements/:fullName/override',
    answer(async (request) => overrideElement(workspace, request.params.fullName), 201),
  )
  fastify.post(
    '/__jit/api/elements/:fullName/check',
    answer(async (request, reply) =>
      checkElementConfig(workspace, request.params.fullName, abortOnClose(reply)),
    ),
  )
  fastify.get(
    '/__jit/api/trash',
    answer(async () => listTrash(workspace.appDir)),
  )
  fastify.post(
    '/__jit/api/trash/:trashId/restore',
    answer(async (request) => restoreElement(workspace, request.params.trashId)),
  )
}

/** `{ error: { code, message, fieldErrors? } }` with the status the code calls for. */
export function sendError(reply: FastifyReply, err: unknown, log?: Logger) {
  if (err instanceof JitError) {
    const status = STATUS[err.code] ?? 500
    const fieldErrors = err instanceof ConfigRejected ? { fieldErrors: err.fieldErrors } : {}
    if (status >= 500) log?.error(`console: ${err.message}`)
    return reply.code(status).send({ error: { code: err.code, message: err.reason, ...fieldErrors } })
  }
  log?.error(`console: ${(err as Error)?.stack ?? String(err)}`)
  return reply.code(500).send({
    error: {
      code: 'JIT_CONSOLE_BAD_REQUEST',
      message: 'internal error: the terminal running jit dev says more',
    },
  })
}

/**
 * Aborted when the browser goes away before the answer. The response's close, not the request's:
 * Node closes a request once its body has been read.
 */
function abortOnClose(reply: FastifyReply): AbortSignal {
  const controller = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) controller.abort()
  })
  return controller.signal
}
