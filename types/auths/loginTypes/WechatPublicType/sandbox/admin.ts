import type { FastifyInstance } from 'fastify'
import { registerSandboxAdmin } from 'jitlite/sandbox'
import { z } from 'zod'
import { ENDPOINTS } from './endpoints.ts'
import { openidOf, unionidOf } from './fixtures.ts'
import { parseOption, type WechatSandbox } from './state.ts'
import { switchesPatchSchema } from './switches.ts'

/**
 * The admin API under {base}/__admin: the programmatic control of WechatSandbox over HTTP (JSON in,
 * JSON out), for test suites that drive the sandbox from another process. It never returns a secret.
 * The clock, switches, faults, counters and reset routes are jitlite/sandbox's; the rest are WeChat's.
 */

export const ADMIN_ROUTES = [
  ['GET', '/__admin/state', 'clock, switches, counters, faults, apps (no secrets), users with their openids'],
  ['GET', '/__admin/counters', 'calls per endpoint'],
  ['POST', '/__admin/counters/reset', 'zero the counters'],
  ['POST', '/__admin/clock/advance', '{"seconds": 7201}'],
  ['POST', '/__admin/clock/reset', 'back to real time'],
  ['POST', '/__admin/switches', '{"denyMode": "legacyRedirect", "refreshTokenMode": "rotate", ...}'],
  ['POST', '/__admin/faults', '{"endpoint": "access_token", "fault": {"kind": "busy"}, "times": 1}'],
  ['DELETE', '/__admin/faults', 'clear faults and latency'],
  ['POST', '/__admin/latency', '{"ms": 300, "endpoint": "all"}'],
  ['POST', '/__admin/apps/:appid/domains', '{"domain": "example.com"}'],
  ['POST', '/__admin/users/:key/password-changed', 'revoke every token of the user (42007)'],
  ['POST', '/__admin/default-user', '{"user": "momo"}'],
  ['POST', '/__admin/authorize', '{"appid", "redirectUri", "scope", "state", "user"?} -> {"redirectUrl"}'],
  ['POST', '/__admin/deny', '{"appid", "redirectUri", "scope", "state"} -> {"redirectUrl": string | null}'],
  ['POST', '/__admin/reset', 'everything back to the start'],
] as const

const domainSchema = z.strictObject({ domain: z.string() })
const userSchema = z.strictObject({ user: z.string() })
const authorizeSchema = z.strictObject({
  appid: z.string(),
  redirectUri: z.string(),
  scope: z.string(),
  state: z.string(),
  user: z.string().optional(),
})

export function describeState(sandbox: WechatSandbox) {
  const apps = sandbox.apps()
  return {
    clock: { nowMs: sandbox.clock.nowMs(), offsetSeconds: sandbox.clock.offsetSeconds },
    switches: sandbox.switches,
    counters: sandbox.counters(),
    ...sandbox.faults(),
    apps,
    defaultUser: sandbox.defaultUser.key,
    users: sandbox.users().map((user) => ({
      key: user.key,
      nickname: user.nickname,
      snapshot: user.snapshot,
      follows: user.follows,
      unionid: unionidOf(user),
      openids: Object.fromEntries(apps.map((app) => [app.appid, openidOf(user, app.appid)])),
    })),
  }
}

/** Registers the admin routes (call inside the sandbox plugin, which sets the prefix). */
export async function registerAdminRoutes(fastify: FastifyInstance, sandbox: WechatSandbox): Promise<void> {
  const ok = { ok: true }
  await registerSandboxAdmin(fastify, {
    sandbox,
    routes: ADMIN_ROUTES,
    endpoints: ENDPOINTS,
    switchesPatchSchema,
    parseOption,
    notFoundCodes: ['WECHAT_SANDBOX_UNKNOWN_APP', 'WECHAT_SANDBOX_UNKNOWN_USER'],
    invalidCode: 'WECHAT_SANDBOX_OPTION_INVALID',
    describeState: () => describeState(sandbox),
    providerRoutes(admin, body) {
      admin.post<{ Params: { appid: string } }>('/__admin/apps/:appid/domains', async (request) => {
        sandbox.addDomain(request.params.appid, body(domainSchema, request.body, 'domain').domain)
        return sandbox.apps().find((app) => app.appid === request.params.appid)
      })
      admin.post<{ Params: { key: string } }>('/__admin/users/:key/password-changed', async (request) => {
        sandbox.userChangedPassword(request.params.key)
        return ok
      })
      admin.post('/__admin/default-user', async (request) => {
        sandbox.setDefaultUser(body(userSchema, request.body, 'default user').user)
        return ok
      })
      admin.post('/__admin/authorize', async (request) => ({
        redirectUrl: sandbox.authorize(body(authorizeSchema, request.body, 'authorize')),
      }))
      admin.post('/__admin/deny', async (request) => ({
        redirectUrl: sandbox.deny(body(authorizeSchema.omit({ user: true }), request.body, 'deny')),
      }))
    },
  })
}
