import { createHash, timingSafeEqual } from 'node:crypto'
import type { SENSITIVE_FIELDS, WecomAppFixture, WecomMemberFixture } from './fixtures.ts'
import { deviceIdOf } from './ids.ts'
import { pictureUrl } from './pictures.ts'
import type { WecomSandbox } from './state.ts'
import { USER_TICKET_LIFETIME_SECONDS } from './store.ts'
import { errorBody, okBody, type WireBody } from './wire.ts'

/**
 * What WeCom's /cgi-bin endpoints answer (docs/wecom-protocol.md#app-access-token to #profile), as
 * ordered objects. Checks run in the order a client meets them: missing parameters, the credential,
 * the caller's IP, the rate limit, then the request itself.
 */

export type Query = Readonly<Record<string, string | undefined>>

/** One API call as the handlers see it. */
export interface CallContext {
  sandbox: WecomSandbox
  query: Query
  /** The caller's IP (for 60020 and errmsg's "from ip"). */
  ip: string
  /** The sandbox's public base URL for this request (avatar and QR code links). */
  publicBaseUrl: string
}

const fail = (call: CallContext, errcode: number, errmsg?: string) =>
  errorBody(errcode, { nowMs: call.sandbox.clock.nowMs(), ip: call.ip }, errmsg)

const ok = (call: CallContext, data: WireBody, keyOrder = call.sandbox.switches.keyOrder) =>
  okBody(data, keyOrder)

/** The trusted-IP list of apps created after 2022-06-20 (null: no list, any IP). */
function ipAllowed(app: WecomAppFixture, ip: string): boolean {
  return app.trustedIps === null || app.trustedIps.includes(ip)
}

/** GET /cgi-bin/gettoken?corpid&corpsecret */
export function gettoken(call: CallContext): WireBody {
  const { sandbox, query } = call
  if (!query.corpid) return fail(call, 41002)
  if (!query.corpsecret) return fail(call, 41004)
  if (query.corpid !== sandbox.corp.corpid) return fail(call, 40013)
  const app = sandbox.appsWithSecrets().find((candidate) => sameSecret(query.corpsecret!, candidate.secret))
  // 40091 for what cannot be a secret at all; 40001 for a well-formed wrong one (or one reset since).
  if (!app) return fail(call, /^[A-Za-z0-9_-]{43}$/.test(query.corpsecret) ? 40001 : 40091)
  if (sandbox.switches.gettokenChecksIp && !ipAllowed(app, call.ip)) return fail(call, 60020)
  if (!sandbox.takeQuota('gettoken')) return fail(call, 45009)
  const { token, expiresIn } = sandbox.grants.tokenFor(
    app.agentid,
    sandbox.secretGeneration(app.agentid),
    sandbox.switches.tokenReuse,
  )
  return ok(call, { access_token: token, expires_in: expiresIn })
}

/** The app whose token the call carries, or the error body to answer. */
function checkToken(
  call: CallContext,
  endpoint: Parameters<WecomSandbox['takeQuota']>[0] | null,
): { app: WecomAppFixture } | { error: WireBody } {
  const { sandbox, query } = call
  if (!query.access_token) return { error: fail(call, 41001) }
  const found = sandbox.grants.lookupToken(
    query.access_token,
    (agentid) => sandbox.secretGeneration(agentid),
    sandbox.switches.secretResetRevokesTokens,
  )
  if (found.status === 'expired') return { error: fail(call, sandbox.switches.expiredTokenErrcode) }
  if (found.status !== 'ok') return { error: fail(call, 40014) }
  const app = sandbox.app(found.agentid)!
  if (!ipAllowed(app, call.ip)) return { error: fail(call, 60020) }
  if (endpoint && !sandbox.takeQuota(endpoint)) return { error: fail(call, 45009) }
  return { app }
}

/**
 * GET /cgi-bin/auth/getuserinfo?access_token&code, and the legacy GET /cgi-bin/user/getuserinfo
 * (capitalised keys, data before errcode, as observed).
 */
export function getuserinfo(call: CallContext, legacyEndpoint: boolean): WireBody {
  const { sandbox, query } = call
  // A valid code's exchange is exempt from the rate limit; only failed ones count.
  const checked = checkToken(call, null)
  if ('error' in checked) return checked.error
  const { app } = checked
  if (!query.code) return fail(call, 41008)
  const found = sandbox.grants.lookupCode(query.code, sandbox.corp.corpid)
  if (found.status !== 'ok') return fail(call, sandbox.takeQuota('getuserinfo') ? 40029 : 45009)
  const { grant } = found
  // The code was obtained for a host; the token's app must trust it (two apps, one code).
  if (!sandbox.appTrustsHost(app, grant.redirectHost)) return fail(call, 50001)
  if (sandbox.switches.codeBoundToAgent && grant.agentid !== undefined && grant.agentid !== app.agentid)
    return fail(call, 40029)
  sandbox.grants.consumeCode(query.code)

  const person = sandbox.person(grant.personKey)!
  const capitalised = legacyEndpoint || sandbox.switches.legacyKeys
  const keyOrder = legacyEndpoint ? 'dataFirst' : sandbox.switches.keyOrder
  const deviceId = grant.channel === 'oauth' ? deviceIdOf(grant.personKey) : ''
  if (person.kind === 'nonMember') {
    const { openid, external_userid } = person.nonMember
    const data = capitalised
      ? { OpenId: openid, DeviceId: deviceId, external_userid }
      : { openid, external_userid }
    return ok(call, data, keyOrder)
  }
  const ticket = grant.withTicket ? sandbox.grants.issueTicket(app.agentid, grant.personKey) : undefined
  const expiresIn =
    ticket && (legacyEndpoint || sandbox.switches.ticketExpiresIn) ? USER_TICKET_LIFETIME_SECONDS : undefined
  const data = capitalised
    ? { UserId: person.member.userid, DeviceId: deviceId, user_ticket: ticket, expires_in: expiresIn }
    : { userid: person.member.userid, user_ticket: ticket, expires_in: expiresIn }
  return ok(call, data, keyOrder)
}

/** POST /cgi-bin/auth/getuserdetail?access_token with `{"user_ticket": "..."}`. */
export function getuserdetail(call: CallContext, rawBody: string): WireBody {
  const { sandbox } = call
  const checked = checkToken(call, 'getuserdetail')
  if ('error' in checked) return checked.error
  const { app } = checked
  let ticket: unknown
  try {
    ticket = (JSON.parse(rawBody) as { user_ticket?: unknown })?.user_ticket
  } catch {
    return fail(call, 47001)
  }
  const personKey = typeof ticket === 'string' ? sandbox.grants.lookupTicket(ticket, app.agentid) : undefined
  const person = personKey === undefined ? undefined : sandbox.person(personKey)
  if (person?.kind !== 'member') return fail(call, sandbox.switches.badTicketErrcode)
  const member = person.member
  if (!sandbox.isVisible(app, member)) return fail(call, 60011)
  const absent = sandbox.switches.withheldDetail === 'absent'
  const real = new Set(app.sensitiveFields)
  const value = (field: (typeof SENSITIVE_FIELDS)[number]): string | undefined => {
    if (real.has(field)) return detailValue(call, member, field)
    // Withheld: gender reads "0" and avatar is a default picture; the rest are empty or absent.
    if (field === 'gender') return '0'
    if (field === 'avatar') return pictureUrl(call.publicBaseUrl, 'default')
    return absent ? undefined : ''
  }
  return ok(call, {
    userid: member.userid,
    gender: value('gender'),
    avatar: value('avatar'),
    qr_code: value('qr_code'),
    mobile: value('mobile'),
    email: value('email'),
    biz_mail: value('biz_mail'),
    address: value('address'),
  })
}

function detailValue(
  call: CallContext,
  member: WecomMemberFixture,
  field: (typeof SENSITIVE_FIELDS)[number],
): string {
  if (field === 'avatar')
    return member.avatar
      ? pictureUrl(call.publicBaseUrl, 'member', member.key)
      : pictureUrl(call.publicBaseUrl, 'default')
  if (field === 'qr_code') return pictureUrl(call.publicBaseUrl, 'qr', member.key)
  return member[field]
}

/** GET /cgi-bin/user/get?access_token&userid */
export function userGet(call: CallContext): WireBody {
  const { sandbox, query } = call
  const checked = checkToken(call, 'user_get')
  if ('error' in checked) return checked.error
  const { app } = checked
  if (!query.userid) return fail(call, 41009)
  if (!/^([A-Za-z0-9]+\/)?[A-Za-z0-9][A-Za-z0-9_@.-]{0,63}$/.test(query.userid)) return fail(call, 40003)
  const member = sandbox.memberByUserid(query.userid)
  if (!member) return fail(call, 60111)
  if (!sandbox.isVisible(app, member)) return fail(call, 60011)
  return ok(call, profileOf(call, app, member))
}

/** GET /cgi-bin/department/list?access_token[&id]: the departments the app sees (a subtree with id). */
export function departmentList(call: CallContext): WireBody {
  const { sandbox, query } = call
  const checked = checkToken(call, 'department_list')
  if ('error' in checked) return checked.error
  const { app } = checked
  const visible = sandbox.visibleDepartmentIds(app)
  let ids = [...visible]
  if (query.id) {
    const root = Number(query.id)
    if (!visible.has(root)) return fail(call, 60011)
    ids = [...sandbox.subtreeOf(root)].filter((id) => visible.has(id))
  }
  const department = sandbox
    .departments()
    .filter((d) => ids.includes(d.id))
    .map((d) => ({
      id: d.id,
      name: d.name,
      name_en: d.name_en,
      department_leader: sandbox
        .members()
        .filter((m) => m.department.some((id, i) => id === d.id && m.isLeaderInDept?.[i] === 1))
        .map((m) => m.userid),
      parentid: d.parentid,
      order: d.order,
    }))
  return ok(call, { department })
}

/** GET /cgi-bin/user/list?access_token&department_id[&fetch_child=1]: profiles of the department's members. */
export function userList(call: CallContext): WireBody {
  const { sandbox, query } = call
  const checked = checkToken(call, 'user_list')
  if ('error' in checked) return checked.error
  const { app } = checked
  const departmentId = Number(query.department_id)
  if (!query.department_id || !sandbox.departments().some((d) => d.id === departmentId))
    return fail(call, 60123)
  if (!sandbox.visibleDepartmentIds(app).has(departmentId)) return fail(call, 60011)
  const wanted = query.fetch_child === '1' ? sandbox.subtreeOf(departmentId) : new Set([departmentId])
  const userlist = sandbox
    .members()
    .filter((member) => member.department.some((id) => wanted.has(id)) && sandbox.isVisible(app, member))
    .map((member) => profileOf(call, app, member))
  return ok(call, { userlist })
}

/** user/get's profile: the 2022-06-20 rule withholds the sensitive fields from newer apps. */
export function profileOf(call: CallContext, app: WecomAppFixture, member: WecomMemberFixture): WireBody {
  const withheld = app.createdAfter20220620
  const hide = <T>(value: T): T | null | undefined =>
    withheld ? (call.sandbox.switches.withheldProfile === 'null' ? null : undefined) : value
  const avatar = member.avatar ? pictureUrl(call.publicBaseUrl, 'member', member.key) : ''
  return {
    userid: member.userid,
    name: member.name,
    department: member.department,
    order: member.department.map(() => 0),
    position: member.position,
    mobile: hide(member.mobile),
    gender: hide(member.gender),
    email: hide(member.email),
    biz_mail: hide(member.biz_mail),
    is_leader_in_dept: member.isLeaderInDept ?? member.department.map(() => 0),
    direct_leader: [],
    avatar: hide(avatar),
    thumb_avatar: hide(avatar && `${avatar}?size=100`),
    telephone: member.telephone,
    alias: member.alias,
    address: hide(member.address),
    open_userid: createHash('sha256')
      .update(`open_userid\u0000${member.key}`)
      .digest('base64url')
      .slice(0, 30),
    main_department: member.department[0],
    extattr: { attrs: [] },
    status: member.status,
    qr_code: hide(pictureUrl(call.publicBaseUrl, 'qr', member.key)),
    external_position: '',
    external_profile: { external_corp_name: '', external_attr: [] },
  }
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest()
  return timingSafeEqual(digest(given), digest(expected))
}
