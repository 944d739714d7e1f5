/**
 * The WeCom login of one Instance: a code becomes a member (userid, profile) or a non-member (openid),
 * with the shared app token. The service (`QywxInnerAuthSvc`) and the login flow's provider are both
 * thin faces of it.
 */
import type { AppInfo, Logger, SharedResources } from 'jitlite'
import type { Database } from 'jitlite/db'
import type { AppTokenCache } from './app-token.ts'
import {
  WecomApiError,
  type WecomClient,
  type WecomIdentity,
  WecomNetworkError,
  WecomProtocolError,
  type WecomUserDetail,
  type WecomUserProfile,
} from './client/index.ts'
import { type QywxInnerConfig, resolveWecomHosts } from './config.ts'
import { fieldCipher, wecomConnection } from './connection.ts'
import { QywxAuthError } from './errors.ts'
import {
  memberKeyOf,
  type ProfileColumns,
  type QywxAuthModel,
  type QywxAuthRow,
  QywxUserStore,
} from './user-store.ts'

/** The model child of every Instance, relative to the Instance. */
export const AUTH_MODEL = 'models.QywxInnerAuthModel'

/**
 * A WeCom user as `getLoginCode` and `getUserInfo` return it, with JitAi's names. A field WeCom did not
 * answer is absent: apps created after 2022-06-20 get no mobile, email, avatar or gender from `user/get`,
 * only through the in-client consent (`snsapi_privateinfo`).
 */
export interface QywxUser {
  corpId: string
  /** `member`: in the corp's address book (has `userId`); `non_member`: only an `openid`. */
  kind: 'member' | 'non_member'
  userId?: string
  openid?: string
  externalUserId?: string
  name?: string
  mobile?: string
  email?: string
  avatar?: string
  /** Department ids. */
  department?: number[]
  position?: string
  /** "0" unknown, "1" male, "2" female. */
  gender?: string
  /** 1 active, 2 disabled, 4 not activated, 5 left. */
  status?: number
  isLeader?: boolean
}

export interface QywxAuthOptions {
  instance: string
  config: QywxInnerConfig
  client: WecomClient
  tokens: AppTokenCache
  store: QywxUserStore
  log: Logger
}

export class QywxAuth {
  readonly config: QywxInnerConfig
  readonly client: WecomClient
  readonly #instance: string
  readonly #tokens: AppTokenCache
  readonly #store: QywxUserStore
  readonly #log: Logger

  constructor(options: QywxAuthOptions) {
    this.config = options.config
    this.client = options.client
    this.#instance = options.instance
    this.#tokens = options.tokens
    this.#store = options.store
    this.#log = options.log
  }

  /** The app token: cached in the database, one gettoken for every process until it nears expiry. */
  accessToken(): Promise<string> {
    return this.#tokens.get()
  }

  /**
   * Turns a callback's code into a stored user: one `auth/getuserinfo`, then for a member
   * `auth/getuserdetail` (only when WeCom sent a `user_ticket`) and `user/get`.
   */
  async login(code: string): Promise<{ row: QywxAuthRow; user: QywxUser }> {
    // One refetch of the app token per login at most, so that a login's calls stay bounded (provider.ts).
    const refetch = { left: 1 }
    const identity: WecomIdentity = await this.#withToken(refetch, (token) =>
      this.client.getUserInfo(token, code),
    )
    if (identity.kind === 'non_member') {
      if (!this.config.allowNonMembers) {
        throw new QywxAuthError(
          'WECOM_NON_MEMBER_REFUSED',
          `${this.#instance} refuses people outside the corp (set "allowNonMembers": true to let them in by openid).`,
          'deny',
        )
      }
      const row = await this.#store.saveNonMember(identity.openid, identity.externalUserId)
      return { row, user: userOf(row) }
    }
    const detail = identity.userTicket
      ? await this.#detail(refetch, identity.userTicket, identity.userId)
      : undefined
    const profile = await this.#profile(refetch, identity.userId)
    const row = await this.#store.saveMember(profile.userId, {
      ...columnsOf(profile),
      ...detailColumns(detail),
    })
    return { row, user: userOf(row) }
  }

  /** A member's current profile from `user/get`, written to their row when they signed in before. */
  async userInfo(userId: string): Promise<QywxUser> {
    const profile = await this.#profile({ left: 1 }, userId)
    const stored = await this.#store.findMember(userId)
    const columns = columnsOf(profile)
    if (stored) {
      const updated = await this.#store.updateMember(stored, profile.userId, columns)
      if (updated) return userOf(updated)
    }
    return { corpId: this.config.corpId, kind: 'member', userId: profile.userId, ...dropNull(columns) }
  }

  /** `user/get`, refusing an answer about another member than the one asked about. */
  async #profile(refetch: { left: number }, userId: string): Promise<WecomUserProfile> {
    const profile = await this.#withToken(refetch, (token) => this.client.getUser(token, userId))
    if (memberKeyOf(profile.userId) !== memberKeyOf(userId)) {
      throw new QywxAuthError(
        'WECOM_USERID_MISMATCH',
        `WeCom's /cgi-bin/user/get answered for another member than the one asked about; nothing was stored. Check that apiBaseUrl points at WeCom.`,
        'deny',
      )
    }
    return profile
  }

  /** The sensitive fields of a privateinfo consent. Optional: a failure costs the fields, not the login. */
  async #detail(
    refetch: { left: number },
    ticket: string,
    userId: string,
  ): Promise<WecomUserDetail | undefined> {
    try {
      const detail = await this.#withToken(refetch, (token) => this.client.getUserDetail(token, ticket))
      return memberKeyOf(detail.userId) === memberKeyOf(userId) ? detail : undefined
    } catch (error) {
      const fromWecom =
        error instanceof WecomApiError ||
        error instanceof WecomNetworkError ||
        error instanceof WecomProtocolError
      if (!fromWecom) throw error
      this.#log.warn(`${this.#instance}: the member's sensitive fields could not be read: ${error.message}`)
      return undefined
    }
  }

  /**
   * One call with the app token; on 42001/40014/40001 the token is dropped, fetched again and the call
   * retried once, while `refetch` has one left.
   */
  async #withToken<T>(refetch: { left: number }, call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.#tokens.get()
    try {
      return await call(token)
    } catch (error) {
      if (!(error instanceof WecomApiError) || error.action !== 'refresh_token' || refetch.left <= 0)
        throw error
      refetch.left--
      this.#log.info(
        `${this.#instance}: WeCom refused the app token (errcode ${error.errcode}); fetching a new one`,
      )
      await this.#tokens.invalidate(token)
      return call(await this.#tokens.get())
    }
  }
}

function columnsOf(profile: WecomUserProfile): ProfileColumns {
  return {
    name: profile.name,
    department: profile.department,
    position: profile.position,
    status: profile.status,
    isLeader: profile.isLeaderInDept ? profile.isLeaderInDept.some((flag) => flag === 1) : undefined,
    // Apps created before 2022-06-20 still get these from user/get; newer ones get nothing here.
    mobile: profile.mobile,
    email: profile.email,
    gender: profile.gender,
    avatar: profile.avatar,
  }
}

function detailColumns(detail: WecomUserDetail | undefined): ProfileColumns {
  if (!detail) return {}
  const columns: ProfileColumns = {
    mobile: detail.mobile,
    email: detail.email ?? detail.bizMail,
    avatar: detail.avatar,
    // "0" is also what WeCom answers when the field was not granted: not worth storing over a real value.
    gender: detail.gender && detail.gender !== '0' ? detail.gender : undefined,
  }
  return Object.fromEntries(Object.entries(columns).filter(([, v]) => v !== undefined)) as ProfileColumns
}

/** A stored row as the user object the service returns: empty columns are left out. */
export function userOf(row: QywxAuthRow): QywxUser {
  const user: QywxUser = {
    corpId: row.corpId,
    kind: row.memberKey === null ? 'non_member' : 'member',
    ...(row.userId ? { userId: row.userId } : {}),
    ...(row.openid ? { openid: row.openid } : {}),
    ...(row.externalUserId ? { externalUserId: row.externalUserId } : {}),
  }
  return {
    ...user,
    ...dropNull({
      name: row.name,
      mobile: row.mobile,
      email: row.email,
      avatar: row.avatar,
      department: row.department,
      position: row.position,
      gender: row.gender,
      status: row.status,
      isLeader: row.isLeader,
    }),
  }
}

function dropNull<T extends object>(value: T): { [K in keyof T]?: NonNullable<T[K]> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as {
    [K in keyof T]?: NonNullable<T[K]>
  }
}

export interface QywxAuthContext {
  instance: string
  config: QywxInnerConfig
  resources: SharedResources
  app: AppInfo
  log: Logger
  env: Readonly<Record<string, string | undefined>>
  model: () => QywxAuthModel
  database: () => Database
}

/**
 * The QywxAuth of an Instance, over its shared connection (client and token cache).
 *
 * @example
 * const auth = qywxAuthFor({ instance, config, resources, app, log, env,
 *   model: () => getElement(`${instance}.models.QywxInnerAuthModel`), database: () => getElement('databases.Default') })
 * const { user } = await auth.login(code)
 */
export function qywxAuthFor(context: QywxAuthContext): QywxAuth {
  const hosts = resolveWecomHosts(context.config, context.env, context.instance)
  const cipher = fieldCipher(context.resources, context.app, context.log, context.env)
  const { client, tokens } = wecomConnection(
    context.resources,
    context.config,
    hosts,
    cipher,
    context.database,
  )
  return new QywxAuth({
    instance: context.instance,
    config: context.config,
    client,
    tokens,
    store: new QywxUserStore(context.model, context.config.corpId),
    log: context.log,
  })
}
