import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { cookieValue, deliverRedirect, rawQuery as rawQueryOf, sendPage, waitLatency } from 'jitlite/sandbox'
import type { RouteContext } from './api.ts'
import { type AuthorizeRequest, redirectTarget, refusal } from './authorize-check.ts'
import { appAvatarPath, avatarId, DEFAULT_AVATAR_PATH } from './avatars.ts'
import type { SandboxUserFixture } from './fixtures.ts'
import { answerWithFault } from './http-faults.ts'
import { consentPage, deniedPage, doubleDeliveryPage, errorPage } from './pages.ts'

/** The browser remembers which sandbox user it "is", so silent snsapi_base logins keep that identity. */
const USER_COOKIE = 'wechat_sandbox_user'
const USER_COOKIE_MAX_AGE_SECONDS = 365 * 24 * 3600
// Only the authorize page reads it; a wider path would send it to apps on the same host (cookies
// ignore ports), where it has no business.
const USER_COOKIE_PATH = (basePath: string) => `${basePath}/connect/oauth2`

/**
 * GET {base}/connect/oauth2/authorize: WeChat's page checks, then a silent redirect (snsapi_base) or
 * the consent sheet (snsapi_userinfo). POST {base}/connect/oauth2/authorize_reply: the sheet's Allow
 * or Deny.
 */
export function registerAuthorizeRoutes(
  fastify: FastifyInstance,
  context: RouteContext,
  basePath: string,
): void {
  const { sandbox } = context
  const chosenUser = (request: FastifyRequest): SandboxUserFixture => {
    const key = cookieValue(request, USER_COOKIE)
    return (key && sandbox.user(key)) || sandbox.defaultUser
  }

  const deliver = (reply: FastifyReply, url: string, request: AuthorizeRequest) =>
    deliverRedirect(
      reply,
      url,
      sandbox.switches.doubleRedirect && !request.connectRedirect ? doubleDeliveryPage(url) : undefined,
    )

  const grantAndDeliver = (reply: FastifyReply, request: AuthorizeRequest, user: SandboxUserFixture) => {
    const granted = sandbox.grantCode(request, user)
    if (granted.refusal) return sendPage(reply, errorPage(granted.refusal))
    return deliver(reply, granted.redirectUrl, request)
  }

  fastify.get('/connect/oauth2/authorize', { logLevel: 'warn' }, async (request, reply) => {
    sandbox.recordCall('authorize')
    await waitLatency(sandbox, 'authorize')
    const drawn = sandbox.drawFault('authorize')
    if (drawn) return answerWithFault(request, reply, { ...context, surface: 'page' }, drawn.fault)
    const rawQuery = rawQueryOf(request)
    const check = sandbox.checkAuthorize([...new URLSearchParams(rawQuery)])
    if (!check.ok) return sendPage(reply, errorPage(check.refusal))
    const user = chosenUser(request)
    if (check.request.scope === 'snsapi_base') return grantAndDeliver(reply, check.request, user)
    return sendPage(
      reply,
      consentPage({
        app: check.request.app,
        scope: check.request.scope,
        users: sandbox.users(),
        selectedUserKey: user.key,
        rawQuery,
        basePath,
        avatarPathOf: (candidate) =>
          candidate.avatar ? `/avatars/mmopen/${avatarId(candidate.key)}/132` : DEFAULT_AVATAR_PATH,
        appAvatarPath: appAvatarPath(check.request.app.appid),
      }),
    )
  })

  fastify.post<{ Body: Record<string, unknown> | undefined }>(
    '/connect/oauth2/authorize_reply',
    { logLevel: 'warn' },
    async (request, reply) => {
      const form = typeof request.body === 'object' && request.body !== null ? request.body : {}
      const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '')
      const check = sandbox.checkAuthorize([...new URLSearchParams(field('query'))])
      if (!check.ok) return sendPage(reply, errorPage(check.refusal))
      if (field('action') === 'deny') {
        if (sandbox.switches.denyMode === 'stay') return sendPage(reply, deniedPage(check.request.app.name))
        return deliver(reply, redirectTarget(check.request.redirectUri, check.request.state), check.request)
      }
      if (field('action') !== 'allow') return sendPage(reply, errorPage(refusal(-1)))
      const user = sandbox.user(field('user'))
      if (!user) {
        return sendPage(
          reply,
          errorPage({ errcode: null, message: 'user 参数错误', hint: 'Pick one of the users.' }),
        )
      }
      reply.header(
        'set-cookie',
        `${USER_COOKIE}=${user.key}; Path=${USER_COOKIE_PATH(basePath)}; Max-Age=${USER_COOKIE_MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax`,
      )
      return grantAndDeliver(reply, check.request, user)
    },
  )
}
