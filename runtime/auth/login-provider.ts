import type { SessionUser } from '../http/sessions.ts'

/**
 * The login family's contract (public as `jitlite/auth`), between the family's flow (the
 * `auths.loginTypes.Meta` Type: the `login` and `callback` actions, state, sessions, pages) and each
 * login Type. An Instance of a login Type loads to an object implementing `LoginProvider`; the flow
 * does the rest, so a second login Type is one more folder, written outside this package if need be.
 * Nothing here is specific to one provider.
 */
export interface LoginProvider {
  /** The Instance's public config, safe to send to a browser (never a secret). */
  getLoginConfig(): Readonly<Record<string, unknown>>
  /**
   * Origins, besides the app's own, that a post-login `redirectUrl` may point at (from the
   * Instance's config). The flow compares parsed origins, never string prefixes.
   */
  allowedRedirectOrigins(): readonly string[]
  /**
   * The provider URL that starts authentication. `state` is the flow's CSRF state (random,
   * `[A-Za-z0-9]`, at most 128 bytes), `callbackUrl` the absolute URL of the Instance's callback
   * action, built from the app's configured public URL.
   */
  createLoginUrl(input: { state: string; callbackUrl: string; forcePopup?: boolean }): string
  /**
   * Reads the provider's parameters of a callback, shape only, before the flow checks the state:
   * `denied` when the user refused (no code), `malformed` for values that cannot be real.
   */
  readCallback(query: Readonly<Record<string, string>>): CallbackParams
  /**
   * Finishes a login after the flow has verified and consumed the state: exactly one exchange with
   * the provider, the user stored, a `SessionUser` (without `loginType`) handed back. Expected
   * outcomes are results, not throws.
   */
  completeLogin(params: { code: string; callbackUrl: string }): Promise<LoginResult>
  /**
   * The longest `completeLogin` can take, in ms: its calls to the provider with their retries and
   * timeouts. The flow's claim on a state lasts this plus a margin (for the database writes around it);
   * a state still being finished after that is given up as abandoned (its process died), and the next
   * delivery of its callback is offered a fresh login at once. Default: 30 s (flow.ts).
   */
  attemptDeadlineMs?(): number
  /**
   * How long a desktop sign-in ticket (the QR code a phone scans to sign a computer in) stays valid,
   * in ms. Default: 3 minutes (Meta/tickets.ts).
   */
  desktopTicketLifetimeMs?(): number
}

export type CallbackParams =
  | { kind: 'code'; code: string }
  | { kind: 'denied' }
  | { kind: 'malformed'; field: string }

/** What a login attempt came to, as the flow renders it. */
export type LoginResult =
  | { status: 'success'; user: Omit<SessionUser, 'loginType'> }
  /** A provider's virtual user, one it will not identify (a preview mode): no account is created or linked. */
  | { status: 'snapshot' }
  | {
      status: 'failed'
      /** `expired`: the code was used, unknown or too old: start again. `provider_error`: the
       * provider refused (its code in `providerCode`). `unavailable`: the provider could not be
       * reached in time. `misconfigured`: the Instance's config is wrong (say which setting). */
      reason: 'expired' | 'provider_error' | 'unavailable' | 'misconfigured'
      /** A sentence for the user's page; never a secret, code or token. */
      message: string
      providerCode?: number
    }
