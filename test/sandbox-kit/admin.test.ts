/** jitlite/sandbox's generic admin routes, as a sandbox built from the toolkit serves them. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ACME_ADMIN_ROUTES, type RunningAcmeSandbox, startAcmeSandbox } from './acme-sandbox.ts'
import { rawRequest } from './helpers.ts'

let sandbox: RunningAcmeSandbox
beforeAll(async () => {
  sandbox = await startAcmeSandbox()
})
afterAll(async () => {
  await sandbox.close()
})
beforeEach(() => sandbox.reset())

async function admin(method: string, path: string, body?: unknown) {
  const response = await rawRequest(`${sandbox.url}/__admin${path}`, {
    method,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: response.status, body: JSON.parse(response.text) }
}

describe('generic admin routes', () => {
  it('list every route of the sandbox, its own included', async () => {
    const { body } = await admin('GET', '')
    expect(body.routes).toEqual(ACME_ADMIN_ROUTES.map(([method, path, what]) => ({ method, path, what })))
  })

  it('faults, latency and counters: set, shown, cleared', async () => {
    const added = await admin('POST', '/faults', { endpoint: 'token', fault: { kind: 'busy' }, times: 2 })
    expect(added).toEqual({
      status: 200,
      body: {
        faults: [{ endpoint: 'token', fault: { kind: 'busy' }, remaining: 2, afterProcessing: false }],
        latencyMs: {},
      },
    })
    expect((await admin('POST', '/latency', { ms: 25 })).body.latencyMs).toEqual({ all: 25 })
    expect(sandbox.latencyMs('login')).toBe(25)
    await rawRequest(`${sandbox.url}/token`)
    expect((await admin('GET', '/counters')).body).toEqual({ token: 1, login: 0 })
    expect((await admin('GET', '/state')).body).toMatchObject({
      counters: { token: 1 },
      faults: [{ remaining: 1 }],
      latencyMs: { all: 25 },
      issued: 0,
    })
    expect((await admin('DELETE', '/faults')).body).toEqual({ faults: [], latencyMs: {} })
    expect((await admin('POST', '/counters/reset')).body).toEqual({ ok: true })
    expect(sandbox.counters()).toEqual({ token: 0, login: 0 })
  })

  it('clock, switches and reset', async () => {
    expect((await admin('POST', '/clock/advance', { seconds: 90 })).body.offsetSeconds).toBe(90)
    expect(sandbox.clock.offsetSeconds).toBe(90)
    expect((await admin('POST', '/clock/reset')).body.offsetSeconds).toBe(0)
    expect((await admin('POST', '/switches', { tokensPerMinute: 3 })).body).toEqual({ tokensPerMinute: 3 })
    sandbox.setFault('all', { kind: 'hang' }, { times: 'always' })
    expect((await admin('POST', '/reset')).body).toEqual({ ok: true })
    expect(sandbox.switches).toEqual({ tokensPerMinute: 1000 })
    expect(sandbox.faults().faults).toEqual([])
  })

  it("answer a malformed request 400 with the sandbox's code and the field, never a 500", async () => {
    for (const [path, body, field] of [
      ['/faults', { endpoint: 'userinfo', fault: { kind: 'busy' } }, 'endpoint'],
      ['/faults', { endpoint: 'token', fault: { kind: 'explode' } }, 'fault'],
      ['/latency', { ms: -5 }, 'ms'],
      ['/clock/advance', { seconds: 'soon' }, 'seconds'],
      ['/switches', { tokensPerMinute: 0 }, 'tokensPerMinute'],
      ['/switches', { unknownSwitch: true }, 'switches'],
    ] as const) {
      const answer = await admin('POST', path, body)
      expect(answer.status, path).toBe(400)
      expect(answer.body.error.code, path).toBe('ACME_SANDBOX_OPTION_INVALID')
      expect(answer.body.error.message, path).toContain(field)
      // A sandbox error without an errcode has none in its answer.
      expect(Object.keys(answer.body.error)).toEqual(['code', 'message'])
    }
    // A body that is not JSON never reaches the sandbox: fastify refuses it, with the sandbox's code.
    const notJson = await admin('POST', '/faults', '{"endpoint":')
    expect(notJson.status).toBe(400)
    expect(notJson.body.error.code).toBe('ACME_SANDBOX_OPTION_INVALID')
  })

  it("answer 404 for the sandbox's not-found codes, in its own routes too", async () => {
    expect(await admin('POST', '/clients/demo/revoke')).toEqual({ status: 200, body: { ok: true } })
    const unknown = await admin('POST', '/clients/other/revoke')
    expect(unknown.status).toBe(404)
    expect(unknown.body.error).toEqual({
      code: 'ACME_SANDBOX_UNKNOWN_CLIENT',
      message: 'No client "other": use "demo".',
    })
  })
})
