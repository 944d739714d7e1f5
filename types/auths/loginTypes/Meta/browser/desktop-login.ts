/**
 * Desktop sign-in by scanning, in the browser: shows a code, follows its ticket (server-sent events,
 * else polling), claims the session once the phone confirms, and replaces an expired code by itself.
 * Browser code for any login Type's `frontend.ts` (the login family's actions are the same for all):
 * the Type passes how it draws a QR code.
 */
import type { SessionUser } from 'jitlite/browser'

export type DesktopLoginStatus =
  /** The code is shown, nobody has scanned it. */
  | 'waiting'
  /** A phone opened the code and is signing in or deciding. */
  | 'scanned'
  /** The phone confirmed; this browser is claiming its session. */
  | 'confirmed'
  /** This browser has its session (`user`). */
  | 'signed-in'
  /** The phone's Cancel, or `cancel()`. */
  | 'cancelled'
  /** The code expired; unless `refreshExpired` is false a new one follows at once (`waiting`). */
  | 'expired'
  /** Something failed (`message` says what); start again. */
  | 'failed'

export interface DesktopLoginCode {
  /** The link the QR code holds: the ticket's scan action under the app's public URL. */
  readonly link: string
  /** An SVG of the QR code. */
  readonly svg: string
  /** When the code stops working (ISO 8601). */
  readonly expiresAt: string
}

export interface DesktopLoginUpdate {
  readonly status: DesktopLoginStatus
  /** The code now shown (a new one after `expired`). */
  readonly code: DesktopLoginCode
  /** For `signed-in`. */
  readonly user?: SessionUser
  /** For `cancelled`, `expired` and `failed`: a sentence to show. */
  readonly message?: string
  /** True when nothing follows this update (signed in, cancelled, failed, or expired for good). */
  readonly final: boolean
}

export interface DesktopLoginOptions {
  /** Called with each status, the first (`waiting`) before `startDesktopLogin` resolves. */
  onStatus?(update: DesktopLoginUpdate): void
  /** Show a new code when one expires (default true). */
  refreshExpired?: boolean
  /**
   * How many expired codes in a row are replaced before the page stops asking (default 20: an hour
   * at WeChat's 3 minutes), so that a forgotten tab does not make codes forever.
   */
  maxRefreshes?: number
  /** `events` (server-sent events, falling back to polling), or `polling` only. Default `events`. */
  transport?: 'events' | 'polling'
  /** How often polling asks, in ms (default 1000). */
  pollMs?: number
}

export interface DesktopLogin {
  /** The code now shown. */
  readonly code: DesktopLoginCode
  /** Gives the code up: the ticket is cancelled and nothing more is reported. */
  cancel(): Promise<void>
  /** Resolves with the user once signed in, or null when cancelled (or expired without refresh). */
  readonly done: Promise<SessionUser | null>
}

export interface DesktopLoginDeps {
  /** The login Instance's actions, relative to the page's origin (`/api/<org>/<app>/<path>`). */
  actionsPath: string
  /** Draws the QR code of a link. */
  renderQrSvg(link: string): string
  fetch?: typeof fetch
  EventSource?: typeof EventSource
}

interface Envelope<T> {
  data?: T
  errmsg?: string
  code?: string
}

/**
 * @example
 * const desktop = await startDesktopLogin({ actionsPath, renderQrSvg }, {
 *   onStatus: ({ status, code }) => { box.innerHTML = code.svg; label.textContent = status },
 * })
 * const user = await desktop.done
 */
export async function startDesktopLogin(
  deps: DesktopLoginDeps,
  options: DesktopLoginOptions = {},
): Promise<DesktopLogin> {
  const fetchFn = deps.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const EventSourceClass =
    options.transport === 'polling' ? undefined : (deps.EventSource ?? globalThis.EventSource)
  const pollMs = options.pollMs ?? 1000
  const refreshExpired = options.refreshExpired !== false
  const maxRefreshes = options.maxRefreshes ?? 20
  let refreshes = 0
  const url = (action: string) => `${deps.actionsPath}/${action}`

  let code: DesktopLoginCode
  let last: string | undefined
  let stopped = false
  let events: EventSource | undefined
  let pollTimer: ReturnType<typeof setTimeout> | undefined
  let finish!: (user: SessionUser | null) => void
  const done = new Promise<SessionUser | null>((resolve) => {
    finish = resolve
  })

  const call = async <T>(
    action: string,
    method: 'GET' | 'POST',
  ): Promise<{ ok: boolean; body: Envelope<T> }> => {
    const response = await fetchFn(url(action), {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { accept: 'application/json' },
    })
    const body = (await response.json().catch(() => ({}))) as Envelope<T>
    return { ok: response.ok, body }
  }
  const emit = (
    status: DesktopLoginStatus,
    extra: { user?: SessionUser; message?: string; final?: boolean } = {},
  ) => {
    const final = extra.final ?? (status === 'signed-in' || status === 'cancelled' || status === 'failed')
    options.onStatus?.({ status, code, ...extra, final })
  }
  const stopWatching = () => {
    events?.close()
    events = undefined
    clearTimeout(pollTimer)
  }
  const end = (user: SessionUser | null) => {
    stopped = true
    stopWatching()
    finish(user)
  }
  const fail = (message: string) => {
    emit('failed', { message })
    end(null)
  }

  const newCode = async () => {
    const { ok, body } = await call<{ link: string; expiresAt: string }>('desktopStart', 'POST')
    if (!ok || !body.data) throw new Error(body.errmsg ?? 'the sign-in code could not be made')
    code = Object.freeze({
      link: body.data.link,
      svg: deps.renderQrSvg(body.data.link),
      expiresAt: body.data.expiresAt,
    })
    last = undefined
  }

  const claim = async () => {
    try {
      const { ok, body } = await call<{ user: SessionUser }>('desktopClaim', 'POST')
      if (stopped) return
      if (ok && body.data) {
        emit('signed-in', { user: body.data.user })
        end(body.data.user)
      } else fail(body.errmsg ?? 'The sign-in could not be finished. Show a new code and try again.')
    } catch {
      if (!stopped) fail('The server could not be reached to finish signing in.')
    }
  }

  const onStatus = (status: string) => {
    if (stopped || status === last) return
    last = status
    switch (status) {
      case 'waiting':
      case 'scanned':
        if (status === 'scanned') refreshes = 0
        emit(status)
        return
      case 'confirmed':
        stopWatching()
        emit('confirmed')
        void claim()
        return
      case 'cancelled':
        emit('cancelled', { message: 'Sign-in was cancelled on the phone. This computer is not signed in.' })
        end(null)
        return
      case 'expired':
        stopWatching()
        if (refreshExpired && refreshes < maxRefreshes) {
          refreshes++
          emit('expired', { message: 'The code expired.', final: false })
          void refresh()
        } else {
          emit('expired', { message: 'The code expired. Show a new one to sign in.', final: true })
          end(null)
        }
        return
      default:
        fail('This sign-in code was already used. Show a new code to sign in again.')
    }
  }

  const poll = async () => {
    if (stopped) return
    try {
      const { ok, body } = await call<{ status: string }>('desktopStatus', 'GET')
      if (stopped) return
      if (!ok || !body.data) return fail(body.errmsg ?? 'The sign-in code is gone. Show a new code.')
      onStatus(body.data.status)
    } catch {
      // A network blip: ask again at the next tick.
    }
    if (!stopped && events === undefined && (last === 'waiting' || last === 'scanned' || last === undefined))
      pollTimer = setTimeout(poll, pollMs)
  }

  const watch = () => {
    if (!EventSourceClass) {
      void poll()
      return
    }
    const source = new EventSourceClass(url('desktopEvents'), { withCredentials: true })
    events = source
    source.addEventListener('status', (event) => {
      onStatus((JSON.parse((event as MessageEvent<string>).data) as { status: string }).status)
    })
    source.onerror = () => {
      // CONNECTING: the browser reconnects by itself. CLOSED: it gave up (an answer that is not a stream).
      if (source.readyState !== 2 || events !== source) return
      events = undefined
      void poll()
    }
  }

  const refresh = async () => {
    try {
      await newCode()
      if (stopped) return
      onStatus('waiting')
      watch()
    } catch (error) {
      if (!stopped) fail((error as Error).message)
    }
  }

  await newCode()
  onStatus('waiting')
  watch()
  return {
    get code() {
      return code
    },
    done,
    async cancel() {
      if (stopped) return
      end(null)
      await call('desktopCancel', 'POST').catch(() => undefined)
    },
  }
}
