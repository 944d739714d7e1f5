/**
 * The fuzz: generated hostile requests (fuzz-requests.ts) sent over HTTP to a real `jit start`,
 * interleaved with real logins through the WeChat sandbox, each answer checked for what must never
 * happen: a 5xx, a session handed to a request that did not finish a login, a redirect off the app's
 * origin (other than a login start to WeChat's authorize page coming back here), or a secret (the app
 * secret, the key, a real login's code or session, a stack trace or the app's folder) in an answer or
 * in the log. Every count must be 0.
 */
import fc from 'fast-check'
import { Agent, request } from 'undici'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { FUZZ_SERVICE_PATH, type FuzzRequest, fuzzRequestArb } from './fuzz-requests.ts'
import { deliverCallback, sessionStatus, startAndAllow } from './login-client.ts'
import { inspectRows } from './rows.ts'
import { ACCOUNT, SANDBOX_USERS, startTarget, type TargetDatabase, writeTargetApp } from './target.ts'

export interface FuzzOptions {
  sandbox: RunningWechatSandbox
  database: TargetDatabase
  requests: number
  /** A real login after every `loginEvery` fuzz requests. */
  loginEvery: number
  concurrency: number
  seed: number
}

export interface FuzzReport {
  sent: number
  /** Requests the HTTP client would not put on the wire (a header it refuses): not counted as sent. */
  unsendable: number
  /** Answers by status class. */
  statuses: Record<string, number>
  realLogins: number
  serverErrors: number
  straySessions: number
  offOriginRedirects: number
  leakedSecrets: number
  /** Examples of each finding, for a person to reproduce (at most 5 each). */
  examples: string[]
}

/** A service with a public function and one behind the login, so the function routes are fuzzed too. */
const NOTES_SERVICE = {
  'services/NotesSvc/e.json': {
    title: 'Notes',
    type: 'services.NormalType',
    functionList: [
      { name: 'add', args: [{ name: 'text', dataType: 'Stext' }], loginRequired: false },
      { name: 'mine', args: [], loginRequired: true },
    ],
  },
  'services/NotesSvc/index.ts': `import { Service } from 'jitlite'
export default class NotesSvc extends Service {
  async add(text: string) {
    return String(text).length
  }
  async mine() {
    return 'yours'
  }
}
`,
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const { sandbox } = options
  const app = writeTargetApp({ sandbox, database: options.database, moreFiles: NOTES_SERVICE })
  // The fuzz looks for wrong answers, not for limits: every request is let through to its route.
  const target = await startTarget(app, { RATE_LIMIT: 'off', OVERLOAD: 'off', LIVE_STATES_PER_ADDRESS: '0' })
  const origin = new URL(target.url).origin
  const sandboxOrigin = new URL(sandbox.url).origin
  const dispatcher = new Agent({ connections: options.concurrency })
  const report: FuzzReport = {
    sent: 0,
    unsendable: 0,
    statuses: {},
    realLogins: 0,
    serverErrors: 0,
    straySessions: 0,
    offOriginRedirects: 0,
    leakedSecrets: 0,
    examples: [],
  }
  const real = { states: [] as string[], codes: [] as string[], sessions: [] as string[] }
  const secrets = () => [ACCOUNT.appSecret, app.env.JIT_SECRET_KEY, ...real.codes, ...real.sessions]
  let logLeaks = 0
  const logNeedles = [ACCOUNT.appSecret, app.env.JIT_SECRET_KEY]
  target.onOutput((chunk) => {
    for (const needle of [...logNeedles, ...real.codes, ...real.sessions])
      if (chunk.includes(needle)) logLeaks++
  })
  const finding = (
    kind: 'serverErrors' | 'straySessions' | 'offOriginRedirects' | 'leakedSecrets',
    what: string,
  ) => {
    report[kind]++
    if (report.examples.filter((e) => e.startsWith(kind)).length < 5) report.examples.push(`${kind}: ${what}`)
  }

  const realLogin = async (n: number) => {
    const started = await startAndAllow(
      target.url,
      sandbox,
      SANDBOX_USERS[n % SANDBOX_USERS.length],
      dispatcher,
    )
    const callback = new URL(started.callback, origin)
    real.states.push(callback.searchParams.get('state') ?? '')
    real.codes.push(callback.searchParams.get('code') ?? '')
    const finished = await deliverCallback(target.url, started, dispatcher)
    if (new URL(finished.location).origin !== origin)
      finding('offOriginRedirects', `real login -> ${finished.location}`)
    real.sessions.push(finished.session)
    report.realLogins++
  }

  const fill = (text: string) =>
    text
      .replaceAll('{{state}}', pick(real.states))
      .replaceAll('{{code}}', pick(real.codes))
      .replaceAll('{{session}}', pick(real.sessions))

  const send = async (r: FuzzRequest) => {
    const query = r.query
      .map(([k, v]) => `${encodeURIComponent(fill(k))}=${encodeURIComponent(fill(v))}`)
      .join('&')
    const url = `${origin}${r.path}${query ? `?${query}` : ''}`
    const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, fill(v)]))
    const shown = `${r.method} ${r.path}${query ? '?…' : ''}`
    let response: Awaited<ReturnType<typeof request>>
    try {
      response = await request(url, { method: r.method, headers, body: r.body, dispatcher })
    } catch (error) {
      const code = (error as { code?: string }).code
      // undici refuses some headers and paths before sending: nothing reached the server.
      if (code === 'UND_ERR_INVALID_ARG' || error instanceof TypeError) {
        report.unsendable++
        return
      }
      finding('serverErrors', `${shown}: connection ${code ?? String(error)}`)
      report.sent++
      return
    }
    report.sent++
    const body = await response.body.text()
    const status = response.statusCode
    const statusClass = `${Math.floor(status / 100)}xx`
    report.statuses[statusClass] = (report.statuses[statusClass] ?? 0) + 1
    if (status >= 500) finding('serverErrors', `${shown} -> ${status} ${body.slice(0, 200)}`)
    const setCookies = [response.headers['set-cookie'] ?? []].flat()
    if (setCookies.some((c) => /^jit_session=[^;]+/.test(c)))
      finding('straySessions', `${shown} -> ${status}`)
    const location = response.headers.location
    if (typeof location === 'string' && !allowedRedirect(location))
      finding('offOriginRedirects', `${shown} -> ${location}`)
    const answer = `${JSON.stringify(response.headers)}\n${body}`
    const leaked = secrets().find((s) => s !== '' && answer.includes(s))
    if (leaked !== undefined)
      finding('leakedSecrets', `${shown} -> ${status}: a secret or a real login's value`)
    else if (
      /\bat .+\.(ts|js|mjs):\d+/.test(body) ||
      body.includes('node_modules') ||
      answer.includes(app.dir)
    )
      finding('leakedSecrets', `${shown} -> ${status}: a stack trace or a path`)
  }

  const allowedRedirect = (location: string) => {
    let to: URL
    try {
      to = new URL(location, origin)
    } catch {
      return false
    }
    if (to.origin === origin) return true
    // A login start goes to WeChat's authorize page, which sends the browser back here only.
    const back = to.searchParams.get('redirect_uri')
    return (
      to.origin === sandboxOrigin &&
      to.pathname === '/connect/oauth2/authorize' &&
      back !== null &&
      new URL(back).origin === origin
    )
  }

  try {
    await realLogin(0)
    const requests = fc.sample(fuzzRequestArb, { numRuns: options.requests, seed: options.seed })
    let next = 0
    const worker = async () => {
      while (next < requests.length) {
        const n = next++
        if (n % options.loginEvery === 0) await realLogin(n / options.loginEvery + 1)
        await send(requests[n])
      }
    }
    await Promise.all(Array.from({ length: options.concurrency }, worker))

    // Only the real logins made sessions, and each still works.
    for (const session of real.sessions)
      if ((await sessionStatus(target.url, session, dispatcher)) !== 200)
        finding('straySessions', 'a real login lost its session')
    const rows = await inspectRows(options.database, app.sqliteFile)
    if (rows.sessions !== report.realLogins)
      finding('straySessions', `${rows.sessions} session rows for ${report.realLogins} real logins`)
    if (logLeaks > 0) finding('leakedSecrets', `${logLeaks} log chunks hold a secret or a real login's value`)
    return report
  } finally {
    await dispatcher.close()
    target.kill('SIGTERM')
    await target.exited
  }
}

function pick(values: string[]): string {
  return values.length === 0 ? '' : values[Math.floor(Math.random() * values.length)]
}

export { FUZZ_SERVICE_PATH }
