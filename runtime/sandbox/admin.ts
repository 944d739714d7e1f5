import type { FastifyError, FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { SandboxClock } from './clock.ts'
import { SandboxError } from './errors.ts'
import {
  type FaultOptions,
  type FaultsDescription,
  type FaultTarget,
  faultOptionsSchema,
  faultSchema,
  faultTargetSchema,
  type SandboxFault,
} from './faults.ts'
import type { OptionParser } from './options.ts'

/** An admin route as listed by GET /__admin and printed by the CLI runner: [method, path, what]. */
export type AdminRoute = readonly [method: string, path: string, what: string]

/** What every sandbox's programmatic control offers the generic admin routes. */
export interface SandboxControl<Endpoint extends string, Switches extends object> {
  readonly clock: SandboxClock
  readonly switches: Readonly<Switches>
  setSwitches(patch: Partial<Switches>): void
  counters(): Record<Endpoint, number>
  resetCounters(): void
  setFault(endpoint: FaultTarget<Endpoint>, fault: SandboxFault, options?: FaultOptions): void
  clearFaults(): void
  setLatency(latencyMs: number, endpoint?: FaultTarget<Endpoint>): void
  faults(): FaultsDescription<Endpoint>
  /** Everything back to the start. */
  reset(): void
}

/** Parses an admin request body (an absent body is `{}`), throwing the sandbox's option error. */
export type AdminBody = <T extends z.ZodType>(schema: T, value: unknown, what: string) => z.output<T>

export interface SandboxAdminOptions<Endpoint extends string, Switches extends object> {
  sandbox: SandboxControl<Endpoint, Switches>
  /** Every admin route of the sandbox, the provider's own included (GET /__admin lists them). */
  routes: readonly AdminRoute[]
  /** The endpoints that count calls and take faults. */
  endpoints: readonly Endpoint[]
  switchesPatchSchema: z.ZodType<Partial<Switches>>
  parseOption: OptionParser['parseOption']
  /** The sandbox's error codes answered 404 (an unknown app or user); its other errors are 400. */
  notFoundCodes: readonly string[]
  /** The code of a request fastify refused before the sandbox saw it (a body that is not JSON). */
  invalidCode: string
  /** What GET /__admin/state answers: never a secret. */
  describeState(): unknown
  /** Registers the provider's own admin routes in the same scope (same error handling). */
  providerRoutes?(admin: FastifyInstance, body: AdminBody): void
}

/**
 * Registers the admin API under {base}/__admin (call inside the sandbox plugin, which sets the prefix):
 * the sandbox's programmatic control over HTTP, JSON in and out, for test suites in another process.
 * The generic routes: GET /__admin (the route list), GET state and counters, POST counters/reset,
 * clock/advance, clock/reset, switches, faults, latency and reset, DELETE faults. A sandbox error
 * answers 400 (404 for `notFoundCodes`) with `{ error: { code, message } }`.
 */
export async function registerSandboxAdmin<Endpoint extends string, Switches extends object>(
  fastify: FastifyInstance,
  options: SandboxAdminOptions<Endpoint, Switches>,
): Promise<void> {
  const { sandbox, parseOption } = options
  const target = faultTargetSchema(options.endpoints)
  const advanceSchema = z.strictObject({ seconds: z.number().finite() })
  const faultRequestSchema = z.strictObject({
    endpoint: target,
    fault: faultSchema,
    times: faultOptionsSchema.shape.times,
    afterProcessing: faultOptionsSchema.shape.afterProcessing,
  })
  const latencySchema = z.strictObject({ ms: z.number().min(0), endpoint: target.default('all') })

  await fastify.register(async (admin) => {
    admin.setErrorHandler((error: FastifyError | SandboxError, _request, reply) => {
      if (error instanceof SandboxError) {
        const status = options.notFoundCodes.includes(error.code) ? 404 : 400
        const errcode = 'errcode' in error ? error.errcode : undefined
        return reply.code(status).send({ error: { code: error.code, message: error.message, errcode } })
      }
      const status = typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 500
      const message = status < 500 ? error.message : 'The sandbox failed on this admin request.'
      return reply.code(status).send({ error: { code: options.invalidCode, message } })
    })
    const body: AdminBody = (schema, value, what) => parseOption(schema, value ?? {}, what)
    const ok = { ok: true }

    admin.get('/__admin', async () => ({
      routes: options.routes.map(([method, path, what]) => ({ method, path, what })),
    }))
    admin.get('/__admin/state', async () => options.describeState())
    admin.get('/__admin/counters', async () => sandbox.counters())
    admin.post('/__admin/counters/reset', async () => {
      sandbox.resetCounters()
      return ok
    })
    admin.post('/__admin/clock/advance', async (request) => {
      sandbox.clock.advance(body(advanceSchema, request.body, 'clock advance').seconds)
      return { nowMs: sandbox.clock.nowMs(), offsetSeconds: sandbox.clock.offsetSeconds }
    })
    admin.post('/__admin/clock/reset', async () => {
      sandbox.clock.reset()
      return { nowMs: sandbox.clock.nowMs(), offsetSeconds: 0 }
    })
    admin.post('/__admin/switches', async (request) => {
      sandbox.setSwitches(body(options.switchesPatchSchema, request.body, 'switches'))
      return sandbox.switches
    })
    admin.post('/__admin/faults', async (request) => {
      const { endpoint, fault, times, afterProcessing } = body(faultRequestSchema, request.body, 'fault')
      sandbox.setFault(endpoint, fault, { times, afterProcessing })
      return sandbox.faults()
    })
    admin.delete('/__admin/faults', async () => {
      sandbox.clearFaults()
      return sandbox.faults()
    })
    admin.post('/__admin/latency', async (request) => {
      const { ms, endpoint } = body(latencySchema, request.body, 'latency')
      sandbox.setLatency(ms, endpoint)
      return sandbox.faults()
    })
    admin.post('/__admin/reset', async () => {
      sandbox.reset()
      return ok
    })
    options.providerRoutes?.(admin, body)
  })
}
