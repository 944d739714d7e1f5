import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  cookieValue,
  deliverRedirect,
  firstQueryValues as firstValues,
  rawQuery as rawQueryOf,
  sendPage,
  waitLatency,
} from 'jitlite/sandbox'
import type { RouteContext } from './api.ts'
import type { Person } from './fixtures.ts'
import { answerWithFault, callerIp } from './http-faults.ts'
import { redirectTarget } from './login-check.ts'
import {
  doubleDeliveryPage,
  errorPage,
  inClientPage,
  infoPage,
  memberNote,
  personRows,
  webLoginPage,
} from './pages.ts'
import { picturePath, qrSvg } from './pictures.ts'
import { personKey, untrustedDomainRefusal } from './state.ts'

/**
 * WeCom's two login pages (docs/wecom-protocol.md#in-client-oauth and #web-login):
 * GET {base}/connect/oauth2/authorize (inside the WeCom client) with its sheet's POST
 * {base}/connect/oauth2/authorize_reply, and GET {base}/wwlogin/sso/login (also with a trailing slash,
 * and the legacy {base}/wwopen/sso/qrConnect) with its POST {base}/wwlogin/sso/reply.
 */

/** The browser remembers which sandbox person holds "its" WeCom client, so silent logins keep that identity. */
const PERSON_COOKIE = 'wecom_sandbox_person'
const PERSON_COOKIE_MAX_AGE_SECONDS = 365 * 24 * 3600

type Form = Record<string, unknown> | undefined

const formField = (body: Form, name: string) => {
  const value = typeof body === 'object' && body !== null ? body[name] : undefined
  return typeof value === 'string' ? value : ''
}

export function registerLoginRoutes(fastify: FastifyInstance, context: RouteContext, basePath: string): void {
  const { sandbox } = context
  const corpName = () => sandbox.corp.name
  const departmentName = (id: number) => sandbox.departments().find((d) => d.id === id)?.name ?? String(id)
  const picturePathOf = (person: Person) =>
    person.kind === 'member' && person.member.avatar
      ? picturePath('member', person.member.key)
      : picturePath('default')

  const deliver = (reply: FastifyReply, url: string) =>
    deliverRedirect(reply, url, sandbox.switches.doubleRedirect ? doubleDeliveryPage(url) : undefined)

  const rememberPerson = (reply: FastifyReply, key: string) =>
    reply.header(
      'set-cookie',
      `${PERSON_COOKIE}=${key}; Path=${basePath}/connect/oauth2; Max-Age=${PERSON_COOKIE_MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax`,
    )

  /** The person holding the client: the one this browser picked before, else by User-Agent. */
  const holder = (request: FastifyRequest): Person => {
    const remembered = cookieValue(request, PERSON_COOKIE)
    const person = remembered ? sandbox.person(remembered) : undefined
    if (person) return person
    // Personal WeChat opening a corp link: usually not a member of the corp.
    const ua = request.headers['user-agent'] ?? ''
    const firstNonMember = sandbox.nonMembers()[0]
    if (/micromessenger/i.test(ua) && !/wxwork/i.test(ua) && firstNonMember)
      return { kind: 'nonMember', nonMember: firstNonMember }
    return { kind: 'member', member: sandbox.defaultMember }
  }

  const everyone = (): Person[] => [
    ...sandbox.members().map((member) => ({ kind: 'member' as const, member })),
    ...sandbox.nonMembers().map((nonMember) => ({ kind: 'nonMember' as const, nonMember })),
  ]

  // In-client OAuth

  fastify.get('/connect/oauth2/authorize', { logLevel: 'warn' }, async (request, reply) => {
    sandbox.recordCall('authorize', callerIp(sandbox, request), firstValues(request))
    await waitLatency(sandbox, 'authorize')
    const drawn = sandbox.drawFault('authorize')
    if (drawn) return answerWithFault(request, reply, { ...context, surface: 'page' }, drawn.fault)
    const ua = request.headers['user-agent'] ?? ''
    if (sandbox.switches.requireClientUserAgent && !/wxwork|micromessenger/i.test(ua)) {
      return sendPage(
        reply,
        infoPage(
          '请在微信客户端打开链接',
          'Open this link in the WeCom client',
          'This link works only inside WeCom (or WeChat). In a desktop browser, use the web login page (/wwlogin/sso/login) instead; to test with a plain browser, send a WeCom User-Agent (…wxwork/4.1…) or turn the requireClientUserAgent switch off.',
        ),
      )
    }
    const rawQuery = rawQueryOf(request)
    const check = sandbox.checkOAuth([...new URLSearchParams(rawQuery)])
    if (!check.ok) {
      if ('refusal' in check) return sendPage(reply, errorPage(check.refusal))
      const confirm = `${basePath}/wwopen/uriconfirm?err_type=domain_err&uri=${encodeURIComponent(check.untrustedRedirect)}`
      return reply.header('cache-control', 'no-store').redirect(confirm, 302)
    }
    const { request: oauth } = check
    const person = holder(request)
    const consentAsked = oauth.scope === 'snsapi_privateinfo' && oauth.app !== undefined
    const consentStands = consentAsked && sandbox.grants.hasConsent(oauth.app!.agentid, personKey(person))
    if ((consentAsked && !consentStands) || (!consentAsked && sandbox.switches.pickerOnBase)) {
      const rows = personRows(
        everyone(),
        (member) =>
          memberNote(member, departmentName, oauth.app ? sandbox.isVisible(oauth.app, member) : true),
        picturePathOf,
      )
      return sendPage(
        reply,
        inClientPage({
          app: oauth.app,
          corpName: corpName(),
          mode: consentAsked ? 'consent' : 'picker',
          people: rows,
          selectedKey: personKey(person),
          rawQuery,
          basePath,
          appPicturePath: oauth.app ? picturePath('app', String(oauth.app.agentid)) : picturePath('default'),
        }),
      )
    }
    const granted = sandbox.grantOAuth(oauth, person, consentStands)
    if ('refusal' in granted) return sendPage(reply, errorPage(granted.refusal))
    return deliver(reply, granted.redirectUrl)
  })

  fastify.post<{ Body: Form }>(
    '/connect/oauth2/authorize_reply',
    { logLevel: 'warn' },
    async (request, reply) => {
      const check = sandbox.checkOAuth([...new URLSearchParams(formField(request.body, 'query'))])
      if (!check.ok) {
        return sendPage(
          reply,
          errorPage('refusal' in check ? check.refusal : untrustedDomainRefusal(check.untrustedRedirect)),
        )
      }
      const person = sandbox.person(formField(request.body, 'person'))
      if (!person) {
        return sendPage(
          reply,
          errorPage({
            title: 'person 参数错误',
            titleEn: 'Pick a person',
            hint: 'Pick one of the people in the list.',
          }),
        )
      }
      rememberPerson(reply, personKey(person))
      const action = formField(request.body, 'action')
      if (action === 'deny' && sandbox.switches.privateinfoRefusal === 'stay') {
        return sendPage(
          reply,
          infoPage(
            '你已拒绝授权',
            'You declined',
            'WeCom stays on this page: the app is not told (switch privateinfoRefusal to "redirectBase" to come back with a code that yields no user_ticket).',
          ),
        )
      }
      if (action !== 'allow' && action !== 'deny') {
        return sendPage(
          reply,
          errorPage({ title: 'action 参数错误', titleEn: 'Unknown action', hint: 'Press Allow or Deny.' }),
        )
      }
      const granted = sandbox.grantOAuth(
        check.request,
        person,
        action === 'allow' && check.request.scope === 'snsapi_privateinfo',
      )
      if ('refusal' in granted) return sendPage(reply, errorPage(granted.refusal))
      return deliver(reply, granted.redirectUrl)
    },
  )

  fastify.get('/wwopen/uriconfirm', { logLevel: 'warn' }, async (request, reply) =>
    sendPage(reply, errorPage(untrustedDomainRefusal(firstValues(request).uri ?? ''))),
  )

  // Web login (desktop browsers)

  const webLogin = (legacyPage: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    sandbox.recordCall('web_login', callerIp(sandbox, request), firstValues(request))
    await waitLatency(sandbox, 'web_login')
    const drawn = sandbox.drawFault('web_login')
    if (drawn) return answerWithFault(request, reply, { ...context, surface: 'page' }, drawn.fault)
    const rawQuery = rawQueryOf(request)
    const check = sandbox.checkWebLogin([...new URLSearchParams(rawQuery)], legacyPage)
    if (!check.ok)
      return sendPage(
        reply,
        errorPage('refusal' in check ? check.refusal : untrustedDomainRefusal(check.untrustedRedirect)),
      )
    const { request: web } = check
    const members = sandbox.members().map((member) => ({ kind: 'member' as const, member }))
    const pageUrl = `${context.publicBaseUrl(request)}${legacyPage ? '/wwopen/sso/qrConnect' : '/wwlogin/sso/login'}?${rawQuery}`
    return sendPage(
      reply,
      webLoginPage({
        app: web.app,
        corpName: corpName(),
        members: personRows(
          members,
          (member) => memberNote(member, departmentName, sandbox.isVisible(web.app, member)),
          picturePathOf,
        ),
        selectedKey: sandbox.defaultMember.key,
        rawQuery,
        legacyPage,
        lang: web.lang,
        basePath,
        appPicturePath: picturePath('app', String(web.app.agentid)),
        qrDataUrl: `data:image/svg+xml;base64,${Buffer.from(qrSvg(pageUrl, 'login')).toString('base64')}`,
      }),
    )
  }
  fastify.get('/wwlogin/sso/login', { logLevel: 'warn' }, webLogin(false))
  fastify.get('/wwlogin/sso/login/', { logLevel: 'warn' }, webLogin(false))
  fastify.get('/wwopen/sso/qrConnect', { logLevel: 'warn' }, webLogin(true))

  fastify.post<{ Body: Form }>('/wwlogin/sso/reply', { logLevel: 'warn' }, async (request, reply) => {
    const legacyPage = formField(request.body, 'page') === 'qrConnect'
    const check = sandbox.checkWebLogin(
      [...new URLSearchParams(formField(request.body, 'query'))],
      legacyPage,
    )
    if (!check.ok)
      return sendPage(
        reply,
        errorPage('refusal' in check ? check.refusal : untrustedDomainRefusal(check.untrustedRedirect)),
      )
    const action = formField(request.body, 'action')
    if (action === 'cancel') {
      if (sandbox.switches.webCancel === 'stay') {
        return sendPage(
          reply,
          infoPage(
            '已取消登录',
            'Login cancelled',
            'WeCom stays on this page (switch webCancel to "redirect" to come back with state and no code).',
          ),
        )
      }
      return deliver(
        reply,
        redirectTarget(check.request.redirectUri, sandbox.webCallbackParams(check.request, undefined)),
      )
    }
    const person = sandbox.person(formField(request.body, 'member'))
    if ((action !== 'confirm' && action !== 'desktop') || !person || person.kind !== 'member') {
      return sendPage(
        reply,
        errorPage({
          title: 'member 参数错误',
          titleEn: 'Pick a member',
          hint: 'Pick one of the members, then Log in.',
        }),
      )
    }
    const granted = sandbox.grantWebLogin(check.request, person.member)
    if ('refusal' in granted) return sendPage(reply, errorPage(granted.refusal))
    return deliver(reply, granted.redirectUrl)
  })
}
