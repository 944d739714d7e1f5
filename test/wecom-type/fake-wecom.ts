/**
 * A tiny in-process WeCom API for the Type's tests (the full sandbox is the Type's `sandbox/`): one
 * corp and app, members and non-members, gettoken (the same token while valid), auth/getuserinfo
 * (single-use codes), auth/getuserdetail, user/get, with WeCom's envelope, recorded calls, and faults.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export const CORP = {
  corpId: 'ww0a1b2c3d4e5f6a7b',
  agentId: '1000002',
  corpSecret: 'Xk3_fQ9-rT2mZ8pL5vN0bY7wC4hJ6sD1aG-eU_tR9oI',
}

export interface FakeMember {
  userid: string
  name: string
  department: number[]
  position: string
  mobile?: string
  email?: string
  gender?: string
  avatar?: string
  /** Outside the app's visible range: user/get answers 60011. */
  hidden?: boolean
}

export const MEMBERS: FakeMember[] = [
  {
    userid: 'ZhangSan',
    name: '张三',
    department: [1, 2],
    position: 'Engineer',
    mobile: '13800000001',
    gender: '1',
  },
  { userid: 'lisi', name: '李四', department: [3], position: 'Designer' },
  { userid: 'wangwu', name: '王五', department: [3], position: 'Intern', hidden: true },
]

type Endpoint = 'gettoken' | 'getuserinfo' | 'getuserdetail' | 'user_get'
type Identity = { userid: string; ticket?: boolean } | { openid: string }

export interface FakeWecom {
  url: string
  /** Every call that reached the server, in order. */
  calls: Array<{ endpoint: Endpoint; query: Record<string, string> }>
  count(endpoint: Endpoint): number
  /** A fresh code, as WeCom's login pages would hand one out for this person. */
  issueCode(who: Identity): string
  /** The next `times` calls of `endpoint` answer `errcode`. */
  failNext(endpoint: Endpoint, errcode: number, times?: number): void
  /** WeCom invalidates the current token early: business calls answer `errcode` (42001 or 40014) until a new one is fetched. */
  expireToken(errcode: 42001 | 40014): void
  /** Answers of `endpoint` wait this long. */
  delay(endpoint: Endpoint, ms: number): void
  /** The legacy endpoint's capitalised keys (`UserId`, `OpenId`) in getuserinfo answers. */
  legacyKeys: boolean
  close(): Promise<void>
}

export async function startFakeWecom(): Promise<FakeWecom> {
  const codes = new Map<string, Identity>()
  const tickets = new Map<string, string>()
  const faults = new Map<Endpoint, { errcode: number; times: number }>()
  const delays = new Map<Endpoint, number>()
  let token: { value: string; expired?: number } | undefined
  const calls: FakeWecom['calls'] = []
  const envelope = (errcode: number, errmsg: string, extra: object = {}) =>
    JSON.stringify({
      errcode,
      errmsg:
        errcode === 0
          ? 'ok'
          : `${errmsg}, hint: [1700000000_12_abc], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}`,
      ...extra,
    })

  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://x')
    const query = Object.fromEntries(url.searchParams)
    let body = ''
    for await (const chunk of request) body += chunk
    const endpoint = (
      {
        '/cgi-bin/gettoken': 'gettoken',
        '/cgi-bin/auth/getuserinfo': 'getuserinfo',
        '/cgi-bin/auth/getuserdetail': 'getuserdetail',
        '/cgi-bin/user/get': 'user_get',
      } as const
    )[url.pathname]
    if (!endpoint) {
      response.writeHead(404).end()
      return
    }
    calls.push({ endpoint, query })
    const wait = delays.get(endpoint)
    if (wait) await new Promise((resolve) => setTimeout(resolve, wait))
    const send = (text: string) =>
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(text)
    const fault = faults.get(endpoint)
    if (fault && fault.times > 0) {
      fault.times--
      return send(envelope(fault.errcode, 'injected fault'))
    }
    if (endpoint === 'gettoken') {
      if (query.corpid !== CORP.corpId) return send(envelope(40013, 'invalid corpid'))
      if (query.corpsecret !== CORP.corpSecret) return send(envelope(40001, 'invalid credential'))
      if (!token || token.expired) token = { value: randomBytes(48).toString('base64url') }
      return send(envelope(0, 'ok', { access_token: token.value, expires_in: 7200 }))
    }
    if (!token || query.access_token !== token.value) return send(envelope(40014, 'invalid access_token'))
    if (token.expired) return send(envelope(token.expired, 'access_token expired'))
    if (endpoint === 'getuserinfo') {
      const who = codes.get(query.code ?? '')
      if (!who) return send(envelope(40029, 'invalid code'))
      codes.delete(query.code ?? '')
      if ('openid' in who) {
        return send(
          fake.legacyKeys
            ? envelope(0, 'ok', { OpenId: who.openid, DeviceId: 'd1' })
            : envelope(0, 'ok', { openid: who.openid }),
        )
      }
      const extra: Record<string, string> = fake.legacyKeys
        ? { UserId: who.userid, DeviceId: 'd1' }
        : { userid: who.userid }
      if (who.ticket) {
        const ticket = randomBytes(32).toString('base64url')
        tickets.set(ticket, who.userid)
        extra.user_ticket = ticket
      }
      return send(envelope(0, 'ok', extra))
    }
    if (endpoint === 'getuserdetail') {
      const userid = tickets.get((JSON.parse(body || '{}') as { user_ticket?: string }).user_ticket ?? '')
      const member = MEMBERS.find((m) => m.userid === userid)
      if (!member) return send(envelope(40029, 'invalid user_ticket'))
      return send(
        envelope(0, 'ok', {
          userid: member.userid,
          gender: member.gender ?? '0',
          mobile: member.mobile,
          email: member.email,
        }),
      )
    }
    const member = MEMBERS.find((m) => m.userid.toLowerCase() === (query.userid ?? '').toLowerCase())
    if (!member) return send(envelope(60111, 'userid not found'))
    if (member.hidden) return send(envelope(60011, 'no privilege to access/modify contact/party/agent'))
    // An app created after 2022-06-20: no avatar, gender, mobile or email here.
    return send(
      envelope(0, 'ok', {
        userid: member.userid,
        name: member.name,
        department: member.department,
        position: member.position,
        status: 1,
        is_leader_in_dept: member.department.map((_, i) => (i === 0 && member.userid === 'ZhangSan' ? 1 : 0)),
      }),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const fake: FakeWecom = {
    url: `http://127.0.0.1:${port}`,
    calls,
    legacyKeys: false,
    count: (endpoint) => calls.filter((call) => call.endpoint === endpoint).length,
    issueCode(who) {
      const code = randomBytes(32).toString('base64url').slice(0, 43)
      codes.set(code, who)
      return code
    },
    failNext(endpoint, errcode, times = 1) {
      faults.set(endpoint, { errcode, times })
    },
    expireToken(errcode) {
      if (token) token.expired = errcode
    },
    delay(endpoint, ms) {
      delays.set(endpoint, ms)
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  return fake
}
