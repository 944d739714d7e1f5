import { randomBytes } from 'node:crypto'
import { Service } from 'jitlite'
import { AUTH_MODEL, type QywxAuth, type QywxUser, qywxAuthFor } from '../../auth.ts'
import type { QywxInnerConfig } from '../../config.ts'

const STATE = /^[A-Za-z0-9]{1,128}$/
const STATE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** What a page needs to start a WeCom login itself (JitAi's `getLoginConfig`). Never a secret. */
export interface QywxLoginConfig {
  corpId: string
  agentId: string
  /** The URL WeCom sends the user back to: the Instance's `redirectUri`, else its callback action. */
  redirectUri?: string
  /** A fresh random state (`[A-Za-z0-9]{32}`): keep it, and compare it with the one that comes back. */
  state: string
  /** In-client OAuth (open inside WeCom). */
  authorizeUrl?: string
  /** The web login page (QR code / one click) for a desktop browser. */
  webLoginUrl?: string
}

/**
 * WeCom self-built-app login for one Instance, reached as
 * `auths.loginTypes.<Instance>.services.QywxInnerAuthSvc`. WeCom's refusals throw `WecomApiError`
 * (`errcode`, `errmsg` without its suffix, `action`), transport failures `WecomNetworkError`, and our
 * own refusals `QywxAuthError` (`code`, `action`).
 *
 * @example
 * const svc = app.getElement('auths.loginTypes.StaffLogin.services.QywxInnerAuthSvc')
 * const user = await svc.getLoginCode(code)
 * if (user.kind === 'member') console.log(user.userId, user.name, user.department)
 */
export default class QywxInnerAuthSvc extends Service<QywxInnerConfig> {
  #auth: QywxAuth | undefined

  /** corpId, agentId, redirectUri, a random state, and both entry URLs built with them. */
  getLoginConfig(): QywxLoginConfig {
    const auth = this.#qywx
    const bytes = randomBytes(32)
    const state = Array.from(bytes, (byte) => STATE_ALPHABET[byte % STATE_ALPHABET.length]).join('')
    const redirectUri = auth.config.redirectUri ?? this.#callbackUrl()
    return {
      corpId: auth.config.corpId,
      agentId: auth.config.agentId,
      state,
      ...(redirectUri
        ? {
            redirectUri,
            authorizeUrl: auth.client.authorizeUrl(redirectUri, state, auth.config.scope),
            webLoginUrl: auth.client.webLoginUrl(redirectUri, state, auth.config.lang),
          }
        : {}),
    }
  }

  /**
   * Turns a callback's code into the stored user: a member (`userId`, `name`, `department`,
   * `position`, `status`, `isLeader`; `mobile`, `email`, `avatar`, `gender` only when WeCom gave them)
   * or a non-member (`openid`). A code works once (40029 after). `state`, when given, must have the
   * shape WeCom returns; checking it against the one you issued is yours (the login flow does it for you).
   */
  getLoginCode(authCode: string, state?: string): Promise<QywxUser> {
    if (state !== undefined && !STATE.test(state)) {
      return Promise.reject(new TypeError('state must be 1 to 128 characters of A-Z, a-z and 0-9'))
    }
    return this.#qywx.login(authCode).then((outcome) => outcome.user)
  }

  /** A member's current profile (`user/get`), written to their row when they signed in before. */
  getUserInfo(userId: string): Promise<QywxUser> {
    return this.#qywx.userInfo(userId)
  }

  /** The app's access token, from the shared cache (one gettoken for every process until it nears expiry). */
  getAccessToken(): Promise<string> {
    return this.#qywx.accessToken()
  }

  #callbackUrl(): string | undefined {
    const { publicUrl, orgId, name } = this.app
    const owner = this.owner
    if (!publicUrl || !owner) return undefined
    return `${publicUrl.replace(/\/+$/, '')}/api/${orgId}/${name}/${owner.element.fullName.replaceAll('.', '/')}/callback`
  }

  get #qywx(): QywxAuth {
    if (this.#auth) return this.#auth
    const owner = this.owner
    if (!owner) {
      throw new Error(
        'QywxInnerAuthSvc is reached through a login Instance: auths.loginTypes.<Instance>.services.QywxInnerAuthSvc',
      )
    }
    this.#auth = qywxAuthFor({
      instance: owner.element.fullName,
      config: owner.config as QywxInnerConfig,
      resources: this.resources,
      app: this.app,
      log: this.log,
      env: this.env,
      model: () => owner.getChild(AUTH_MODEL),
      database: () => this.getElement('databases.Default'),
    })
    return this.#auth
  }
}
