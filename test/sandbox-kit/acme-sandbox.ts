/**
 * A sandbox for a made-up provider, "Acme", built only from jitlite/sandbox as a Type author would
 * build one for another provider: one JSON endpoint (GET /token), one page (GET /login), the generic
 * admin routes plus one of its own, and a `jit sandbox acme` command. The toolkit's tests drive it.
 */
import type { FastifyPluginAsync } from 'fastify'
import {
  type AdminRoute,
  answerWithFault,
  firstQueryValues,
  listenSandbox,
  MinuteQuota,
  mountSandbox,
  optionParser,
  registerSandboxAdmin,
  runSandboxCommand,
  type SandboxCliIo,
  SandboxCore,
  SandboxError,
  type SandboxServer,
  sendPage,
  serveWithFaults,
  waitLatency,
} from 'jitlite/sandbox'
import { z } from 'zod'

export const ACME_ENDPOINTS = ['token', 'login'] as const
export type AcmeEndpoint = (typeof ACME_ENDPOINTS)[number]

type AcmeCode = 'ACME_SANDBOX_OPTION_INVALID' | 'ACME_SANDBOX_UNKNOWN_CLIENT'
export class AcmeSandboxError extends SandboxError<AcmeCode> {}

const OPTIONS = optionParser(
  (message, cause) => new AcmeSandboxError('ACME_SANDBOX_OPTION_INVALID', message, { cause }),
)
const switchesSchema = z.strictObject({ tokensPerMinute: z.int().positive() })
type AcmeSwitches = z.output<typeof switchesSchema>

export const ACME_ADMIN_ROUTES: readonly AdminRoute[] = [
  ['GET', '/__admin/state', 'clock, switches, counters, faults, tokens issued'],
  ['GET', '/__admin/counters', 'calls per endpoint'],
  ['POST', '/__admin/counters/reset', 'zero the counters'],
  ['POST', '/__admin/clock/advance', '{"seconds": 60}'],
  ['POST', '/__admin/clock/reset', 'back to real time'],
  ['POST', '/__admin/switches', '{"tokensPerMinute": 2}'],
  ['POST', '/__admin/faults', '{"endpoint": "token", "fault": {"kind": "busy"}}'],
  ['DELETE', '/__admin/faults', 'clear faults and latency'],
  ['POST', '/__admin/latency', '{"ms": 300, "endpoint": "all"}'],
  ['POST', '/__admin/clients/:id/revoke', 'Acme-specific: 404 for an unknown client'],
  ['POST', '/__admin/reset', 'everything back to the start'],
]

export class AcmeSandbox extends SandboxCore<AcmeEndpoint, AcmeSwitches> {
  readonly #quota: MinuteQuota
  /** Tokens the sandbox issued: a fault `afterProcessing` still issues one. */
  issued = 0

  constructor(options: { switches?: Partial<AcmeSwitches>; now?: () => number } = {}) {
    super({
      endpoints: ACME_ENDPOINTS,
      options: OPTIONS,
      defaultSwitches: { tokensPerMinute: 1000 },
      switchesPatchSchema: switchesSchema.partial(),
      ...options,
    })
    this.#quota = new MinuteQuota(this.clock)
  }

  recordCall(endpoint: AcmeEndpoint): void {
    this.countCall(endpoint)
  }
  /** A token, or Acme's quota error once this minute's tokens are used up. */
  issueToken(client: string): Record<string, string | number> {
    if (!this.#quota.take(client, this.switches.tokensPerMinute))
      return { errcode: 429001, errmsg: 'slow down' }
    this.issued += 1
    return { errcode: 0, access_token: `token-${this.issued}` }
  }
  revokeClient(id: string): void {
    if (id !== 'demo')
      throw new AcmeSandboxError('ACME_SANDBOX_UNKNOWN_CLIENT', `No client "${id}": use "demo".`)
  }
  override reset(): void {
    super.reset()
    this.#quota.clear()
    this.issued = 0
  }
}

/** Acme's errcodes for the `busy` and `quota` faults. */
const ACME_FAULT_ERRCODES = { busy: 500001, quota: 429001 }

export const acmeSandbox: FastifyPluginAsync<{ sandbox: AcmeSandbox; publicBaseUrl?: string }> = async (
  fastify,
  { sandbox, publicBaseUrl: configured },
) => {
  const { hung, publicBaseUrl } = mountSandbox(fastify, configured)
  // Where Acme's pictures and QR codes would point.
  fastify.get('/base', async (request) => ({ publicBaseUrl: publicBaseUrl(request) }))
  const json = (errcode: number, errmsg?: string) => ({ errcode, errmsg: errmsg ?? `acme error ${errcode}` })
  fastify.get('/token', async (request, reply) => {
    sandbox.recordCall('token')
    return serveWithFaults(sandbox, 'token', {
      process: () => sandbox.issueToken(firstQueryValues(request).client ?? 'anonymous'),
      send: (body) => reply.code(200).send(body),
      fault: (fault) =>
        answerWithFault(
          request,
          reply,
          {
            hung,
            errcodes: ACME_FAULT_ERRCODES,
            providerError: (errcode, errmsg) => reply.code(200).send(json(errcode, errmsg)),
          },
          fault,
        ),
    })
  })
  fastify.get('/login', async (request, reply) => {
    sandbox.recordCall('login')
    await waitLatency(sandbox, 'login')
    const drawn = sandbox.drawFault('login')
    if (drawn)
      return answerWithFault(
        request,
        reply,
        {
          hung,
          errcodes: ACME_FAULT_ERRCODES,
          providerError: (errcode) => sendPage(reply, `<h1>Acme error ${errcode}</h1>`),
        },
        drawn.fault,
      )
    return sendPage(reply, '<h1>Sign in to Acme</h1>')
  })
  await registerSandboxAdmin(fastify, {
    sandbox,
    routes: ACME_ADMIN_ROUTES,
    endpoints: ACME_ENDPOINTS,
    switchesPatchSchema: switchesSchema.partial(),
    parseOption: OPTIONS.parseOption,
    notFoundCodes: ['ACME_SANDBOX_UNKNOWN_CLIENT'],
    invalidCode: 'ACME_SANDBOX_OPTION_INVALID',
    describeState: () => ({
      clock: { nowMs: sandbox.clock.nowMs(), offsetSeconds: sandbox.clock.offsetSeconds },
      switches: sandbox.switches,
      counters: sandbox.counters(),
      ...sandbox.faults(),
      issued: sandbox.issued,
    }),
    providerRoutes(admin) {
      admin.post<{ Params: { id: string } }>('/__admin/clients/:id/revoke', async (request) => {
        sandbox.revokeClient(request.params.id)
        return { ok: true }
      })
    },
  })
}

export class RunningAcmeSandbox extends AcmeSandbox {
  url = ''
  #server: SandboxServer | undefined

  async listen(options: { port?: number; host?: string }): Promise<void> {
    this.#server = await listenSandbox((fastify) => fastify.register(acmeSandbox, { sandbox: this }), options)
    this.url = this.#server.url
  }

  async close(): Promise<void> {
    await this.#server?.close()
  }
}

export async function startAcmeSandbox(options: { port?: number; host?: string; fixtures?: string } = {}) {
  if (options.fixtures?.endsWith('.broken'))
    throw new AcmeSandboxError('ACME_SANDBOX_OPTION_INVALID', 'The fixtures file is broken: fix its JSON.')
  const sandbox = new RunningAcmeSandbox()
  await sandbox.listen(options)
  return sandbox
}

export const ACME_DEFAULT_FIXTURES = new URL('./acme-fixtures.json', import.meta.url)

export function runAcmeSandboxCli(
  args: string[],
  io: SandboxCliIo,
  start: typeof startAcmeSandbox = startAcmeSandbox,
): Promise<number> {
  return runSandboxCommand(
    {
      name: 'acme',
      provider: 'Acme',
      defaultPort: 3199,
      about: 'Runs the Acme sandbox until Ctrl+C.',
      defaultFixtures: ACME_DEFAULT_FIXTURES,
      start,
      banner: (sandbox) => [`acmeBaseUrl: ${sandbox.url}`],
      adminRoutes: ACME_ADMIN_ROUTES,
    },
    args,
    io,
  )
}
