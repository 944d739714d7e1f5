import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { serveWithFaults } from 'jitlite/sandbox'
import type { RouteContext } from './api.ts'
import { answerWithFault, sendWechatJson } from './http-faults.ts'
import { sameSecret } from './sns.ts'
import type { WechatSandbox } from './state.ts'
import { errorBody, type WireValue } from './wire.ts'

type Body = { [key: string]: WireValue }

/**
 * POST /cgi-bin/stable_token with `{grant_type: "client_credential", appid, secret, force_refresh?}`
 * (docs/wechat-protocol.md#checking-an-appid-and-secret): the checks in WeChat's order, then the
 * account's stable token, the same one for its whole lifetime.
 */
export function stableTokenAnswer(sandbox: WechatSandbox, body: unknown, callerIp: string): Body {
  const fail = (errcode: number, errmsg?: string) => errorBody(errcode, sandbox.clock.nowMs(), errmsg)
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return fail(47001)
  const {
    grant_type: grantType,
    appid,
    secret,
    force_refresh: forceRefresh,
  } = body as Record<string, unknown>
  if (typeof appid !== 'string' || appid === '') return fail(41002)
  if (typeof secret !== 'string' || secret === '') return fail(41004)
  if (grantType !== 'client_credential') return fail(40002)
  const app = sandbox.app(appid)
  if (!app) return fail(40013)
  if (!sandbox.switches.callerIpWhitelisted) {
    // WeChat names the IP it saw, in both notations.
    const ipv4 = callerIp.replace(/^::ffff:/, '')
    return fail(40164, `invalid ip ${ipv4} ipv6 ::ffff:${ipv4}, not in whitelist`)
  }
  if (!sandbox.takeQuota(appid, 'stable_token')) return fail(45011)
  if (!sameSecret(secret, app.secret)) return fail(sandbox.switches.badSecretErrcode)
  const { token, expiresInSeconds } = sandbox.stableToken(appid, forceRefresh === true)
  return { access_token: token, expires_in: expiresInSeconds }
}

/** Registers POST /cgi-bin/stable_token. */
export function registerStableTokenRoute(fastify: FastifyInstance, context: RouteContext): void {
  const { sandbox } = context
  // WeChat reads the body as JSON whatever its content type; a body that is not JSON is 47001.
  fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, text, done) => {
      try {
        done(null, JSON.parse(text as string))
      } catch {
        done(null, undefined)
      }
    })
    scope.post(
      '/cgi-bin/stable_token',
      { logLevel: 'warn' },
      async (request: FastifyRequest, reply: FastifyReply) => {
        sandbox.recordCall('stable_token')
        return serveWithFaults(sandbox, 'stable_token', {
          process: () => stableTokenAnswer(sandbox, request.body, request.ip),
          send: (answer) => sendWechatJson(reply, sandbox, answer),
          fault: (fault) => answerWithFault(request, reply, { ...context, surface: 'json' }, fault),
        })
      },
    )
  })
}
