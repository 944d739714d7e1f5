import type { FastifyInstance } from 'fastify'
import { registerSandboxAdmin } from 'jitlite/sandbox'
import { z } from 'zod'
import { ENDPOINTS } from './endpoints.ts'
import { parseOption, type WecomSandbox } from './state.ts'
import { switchesPatchSchema } from './switches.ts'

/**
 * The admin API under {base}/__admin: the programmatic control of WecomSandbox over HTTP (JSON in,
 * JSON out), for tests that drive the sandbox from another process. It never returns a secret, except
 * the new one a secret reset creates (the console shows it once, too). The clock, switches, faults,
 * counters and reset routes are jitlite/sandbox's; the rest are WeCom's.
 */

export const ADMIN_ROUTES = [
  [
    'GET',
    '/__admin/state',
    'clock, switches, counters, faults, corp, apps (no secrets), members, non-members',
  ],
  ['GET', '/__admin/counters', 'calls per endpoint'],
  ['GET', '/__admin/calls', 'the calls received (?endpoint=gettoken), with the errcode answered'],
  ['POST', '/__admin/counters/reset', 'zero the counters and the call log'],
  ['POST', '/__admin/clock/advance', '{"seconds": 7201}'],
  ['POST', '/__admin/clock/reset', 'back to real time'],
  ['POST', '/__admin/switches', '{"expiredTokenErrcode": 40014, "legacyKeys": true, ...}'],
  [
    'POST',
    '/__admin/faults',
    '{"endpoint": "getuserinfo", "fault": {"kind": "errcode", "errcode": 42001}, "times": 1}',
  ],
  ['DELETE', '/__admin/faults', 'clear faults and latency'],
  ['POST', '/__admin/latency', '{"ms": 300, "endpoint": "all"}'],
  ['POST', '/__admin/tokens/invalidate', '{"agentid": 1000002} (or {}: every app) -> next use answers 40014'],
  [
    'POST',
    '/__admin/apps/:agentid/domains',
    '{"domain": "example.com", "setting": "oauth" | "web" | "both"}',
  ],
  ['POST', '/__admin/apps/:agentid/trusted-ips', '{"ips": ["203.0.113.7"]} or {"ips": null}'],
  ['POST', '/__admin/apps/:agentid/secret/reset', '-> {"secret"}: the old secret answers 40001'],
  [
    'POST',
    '/__admin/caller-ip',
    '{"ip": "203.0.113.7"} or {"ip": null}: the IP every call seems to come from',
  ],
  ['POST', '/__admin/consents/revoke', '{"agentid": 1000002, "person": "zhangwei"}'],
  ['POST', '/__admin/default-member', '{"member": "lina"}'],
  [
    'POST',
    '/__admin/authorize',
    '{"redirectUri", "state", "scope"?, "agentid"?, "person"?} -> {"redirectUrl"}',
  ],
  [
    'POST',
    '/__admin/web-login',
    '{"agentid", "redirectUri", "state", "member"?, "legacyPage"?} -> {"redirectUrl"}',
  ],
  ['POST', '/__admin/reset', 'everything back to the start'],
] as const

const authorizeSchema = z.strictObject({
  redirectUri: z.string(),
  state: z.string(),
  scope: z.string().optional(),
  agentid: z.int().optional(),
  person: z.string().optional(),
})
const webLoginSchema = z.strictObject({
  agentid: z.int(),
  redirectUri: z.string(),
  state: z.string(),
  member: z.string().optional(),
  legacyPage: z.boolean().optional(),
})

export function describeState(sandbox: WecomSandbox) {
  const apps = sandbox.apps()
  return {
    clock: { nowMs: sandbox.clock.nowMs(), offsetSeconds: sandbox.clock.offsetSeconds },
    switches: sandbox.switches,
    counters: sandbox.counters(),
    ...sandbox.faults(),
    callerIp: sandbox.callerIpOverride ?? null,
    corp: sandbox.corp,
    apps,
    departments: sandbox.departments(),
    defaultMember: sandbox.defaultMember.key,
    members: sandbox.members().map((member) => ({
      key: member.key,
      userid: member.userid,
      name: member.name,
      department: member.department,
      status: member.status,
      visibleTo: apps
        .filter((app) => sandbox.isVisible(sandbox.app(app.agentid)!, member))
        .map((app) => app.agentid),
    })),
    nonMembers: sandbox.nonMembers(),
  }
}

/** Registers the admin routes (inside the sandbox plugin, which sets the prefix). */
export async function registerAdminRoutes(fastify: FastifyInstance, sandbox: WecomSandbox): Promise<void> {
  const agentidOf = (params: { agentid: string }) =>
    parseOption(z.coerce.number().int(), params.agentid, 'agentid')
  const ok = { ok: true }
  await registerSandboxAdmin(fastify, {
    sandbox,
    routes: ADMIN_ROUTES,
    endpoints: ENDPOINTS,
    switchesPatchSchema,
    parseOption,
    notFoundCodes: ['WECOM_SANDBOX_UNKNOWN_APP', 'WECOM_SANDBOX_UNKNOWN_PERSON'],
    invalidCode: 'WECOM_SANDBOX_OPTION_INVALID',
    describeState: () => describeState(sandbox),
    providerRoutes(admin, body) {
      admin.get<{ Querystring: { endpoint?: string } }>('/__admin/calls', async (request) => {
        const endpoint = request.query.endpoint
        return sandbox.calls(
          endpoint === undefined ? undefined : parseOption(z.enum(ENDPOINTS), endpoint, 'endpoint'),
        )
      })
      admin.post('/__admin/tokens/invalidate', async (request) => {
        const { agentid } = body(z.strictObject({ agentid: z.int().optional() }), request.body, 'invalidate')
        return { invalidated: sandbox.invalidateTokens(agentid) }
      })
      admin.post<{ Params: { agentid: string } }>('/__admin/apps/:agentid/domains', async (request) => {
        const agentid = agentidOf(request.params)
        const { domain, setting } = body(
          z.strictObject({ domain: z.string(), setting: z.enum(['oauth', 'web', 'both']).default('both') }),
          request.body,
          'domain',
        )
        sandbox.addDomain(agentid, domain, setting)
        return sandbox.apps().find((app) => app.agentid === agentid)
      })
      admin.post<{ Params: { agentid: string } }>('/__admin/apps/:agentid/trusted-ips', async (request) => {
        const agentid = agentidOf(request.params)
        sandbox.setTrustedIps(
          agentid,
          body(z.strictObject({ ips: z.array(z.string()).nullable() }), request.body, 'trusted IPs').ips,
        )
        return sandbox.apps().find((app) => app.agentid === agentid)
      })
      admin.post<{ Params: { agentid: string } }>('/__admin/apps/:agentid/secret/reset', async (request) => ({
        secret: sandbox.resetSecret(agentidOf(request.params)),
      }))
      admin.post('/__admin/caller-ip', async (request) => {
        sandbox.setCallerIp(body(z.strictObject({ ip: z.string().nullable() }), request.body, 'caller IP').ip)
        return { callerIp: sandbox.callerIpOverride ?? null }
      })
      admin.post('/__admin/consents/revoke', async (request) => {
        const { agentid, person } = body(
          z.strictObject({ agentid: z.int(), person: z.string() }),
          request.body,
          'consent',
        )
        sandbox.revokeConsent(agentid, person)
        return ok
      })
      admin.post('/__admin/default-member', async (request) => {
        sandbox.setDefaultMember(
          body(z.strictObject({ member: z.string() }), request.body, 'default member').member,
        )
        return ok
      })
      admin.post('/__admin/authorize', async (request) => ({
        redirectUrl: sandbox.authorize(body(authorizeSchema, request.body, 'authorize')),
      }))
      admin.post('/__admin/web-login', async (request) => ({
        redirectUrl: sandbox.webLogin(body(webLoginSchema, request.body, 'web login')),
      }))
    },
  })
}
