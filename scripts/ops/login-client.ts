/**
 * A browser's side of a WeChat login over real HTTP, for the ops scripts: start the login, let the
 * sandbox's user allow it (what the consent sheet's Allow does), deliver the callback, and check the
 * session. Each step returns what a browser would have seen.
 */
import { type Dispatcher, request } from 'undici'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { INSTANCE_PATH, SESSION_PATH } from './target.ts'

export interface Answer {
  status: number
  location?: string
  cookies: Map<string, string>
  body: string
}

/** A GET with `cookies`; the body is read (a 5xx page is evidence), redirects are not followed. */
export async function get(
  base: string,
  pathAndQuery: string,
  cookies: Map<string, string> = new Map(),
  dispatcher?: Dispatcher,
): Promise<Answer> {
  const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  const response = await request(`${base}${pathAndQuery}`, {
    headers: cookie ? { cookie } : {},
    dispatcher,
  })
  const body = await response.body.text()
  const set = new Map<string, string>()
  for (const header of [response.headers['set-cookie'] ?? []].flat()) {
    const [pair] = header.split(';')
    const at = pair.indexOf('=')
    set.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim())
  }
  const location = response.headers.location
  return {
    status: response.statusCode,
    location: typeof location === 'string' ? location : undefined,
    cookies: set,
    body,
  }
}

export interface StartedLogin {
  cookies: Map<string, string>
  /** The callback path and query WeChat sends the browser back to, once the user allowed. */
  callback: string
}

/** Starts a login and has `user` allow it on the sandbox; throws with the status if the start is refused. */
export async function startAndAllow(
  base: string,
  sandbox: RunningWechatSandbox,
  user: string,
  dispatcher?: Dispatcher,
): Promise<StartedLogin> {
  const start = await get(base, `${INSTANCE_PATH}/login?redirectUrl=%2Fdone`, new Map(), dispatcher)
  if (start.status !== 302 || !start.location) throw new LoginStepFailed('login start', start)
  const authorize = new URL(start.location)
  const redirect = new URL(
    sandbox.authorize({
      appid: authorize.searchParams.get('appid') ?? '',
      redirectUri: authorize.searchParams.get('redirect_uri') ?? '',
      scope: authorize.searchParams.get('scope') ?? '',
      state: authorize.searchParams.get('state') ?? '',
      user,
    }),
  )
  return { cookies: start.cookies, callback: `${redirect.pathname}${redirect.search}` }
}

export interface FinishedLogin {
  /** The session cookie's value. */
  session: string
  /** Where the final redirect sent the browser. */
  location: string
}

/** Delivers the callback; a finished login is a 302 to the app's page with a session cookie. */
export async function deliverCallback(
  base: string,
  started: StartedLogin,
  dispatcher?: Dispatcher,
): Promise<FinishedLogin> {
  const answer = await get(base, started.callback, started.cookies, dispatcher)
  const session = answer.cookies.get('jit_session')
  if (answer.status !== 302 || !session || !answer.location) throw new LoginStepFailed('callback', answer)
  return { session, location: answer.location }
}

/** One whole login as `user`. */
export async function login(
  base: string,
  sandbox: RunningWechatSandbox,
  user: string,
  dispatcher?: Dispatcher,
): Promise<FinishedLogin> {
  return deliverCallback(base, await startAndAllow(base, sandbox, user, dispatcher), dispatcher)
}

/** The session endpoint's status for a session cookie: 200 signed in, 401 not. */
export async function sessionStatus(base: string, session: string, dispatcher?: Dispatcher): Promise<number> {
  return (await get(base, SESSION_PATH, new Map([['jit_session', session]]), dispatcher)).status
}

export class LoginStepFailed extends Error {
  constructor(
    readonly step: string,
    readonly answer: Answer,
  ) {
    super(`${step} answered ${answer.status}${answer.location ? ` -> ${answer.location}` : ''}`)
  }
}
