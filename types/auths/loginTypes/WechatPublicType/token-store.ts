/**
 * The rows of WechatPublicAuthModel for one Official Account (appId): one per user, keyed by
 * (appId, openid), written in single statements, with the access and refresh tokens encrypted
 * (AES-256-GCM; the row identity and column are the additional data, so a value copied to another
 * row or column fails to decrypt).
 */
import type { FieldCipher } from 'jitlite/crypto'
import type { ModelHandle } from 'jitlite/db'
import type { WechatTokenResponse, WechatUserInfo } from './client/index.ts'

/** A row of WechatPublicAuthModel as stored (tokens still encrypted). */
export interface WechatAuthRow {
  id: number
  appId: string
  openid: string
  unionid: string | null
  nickname: string | null
  headimgurl: string | null
  sex: number | null
  province: string | null
  city: string | null
  country: string | null
  scope: string | null
  accessToken: string | null
  refreshToken: string | null
  expiresIn: number | null
  expiresAt: Date | null
  createdAt: Date | null
  updatedAt: Date | null
}

/** What the store needs of the model element. */
export type WechatAuthModel = Pick<ModelHandle<WechatAuthRow>, 'upsert' | 'get' | 'updateByPK' | 'database'>

/** A stored login with its tokens decrypted (null once cleared). */
export interface StoredLogin {
  row: WechatAuthRow
  accessToken: string | null
  refreshToken: string | null
}

/**
 * Stored expiry = the time the request was sent + expires_in - this margin
 * (docs/wechat-protocol.md#lifetimes), so a token is refreshed a little before WeChat would refuse it.
 */
export const EXPIRY_MARGIN_SECONDS = 120

// The model declares these lengths; longer values from WeChat are cut rather than failing a login.
const MAX_CHARS: Partial<Record<keyof WechatAuthRow, number>> = {
  nickname: 255,
  headimgurl: 1024,
  province: 255,
  city: 255,
  country: 255,
  unionid: 64,
}

type ProfileColumns = Pick<
  WechatAuthRow,
  'nickname' | 'headimgurl' | 'sex' | 'province' | 'city' | 'country' | 'unionid'
>

/**
 * @example
 * const store = new WechatTokenStore(() => owner.getChild('models.WechatPublicAuthModel'), cipher, 'wx5a3c7f1e9b2d4680')
 * const row = await store.saveLogin(tokens, requestedAtMs, profile)
 * const stored = await store.find(row.openid) // { row, accessToken, refreshToken }
 */
export class WechatTokenStore {
  readonly #model: () => WechatAuthModel
  readonly #cipher: FieldCipher
  readonly #appId: string

  constructor(model: () => WechatAuthModel, cipher: FieldCipher, appId: string) {
    this.#model = model
    this.#cipher = cipher
    this.#appId = appId
  }

  /** The database the rows are in. */
  get database() {
    return this.#model().database
  }

  /** Stores a finished login (tokens, and the profile when there is one) in one upsert; returns the row. */
  async saveLogin(
    tokens: WechatTokenResponse,
    requestedAtMs: number,
    profile?: WechatUserInfo,
  ): Promise<WechatAuthRow> {
    const unionid = profile?.unionid ?? tokens.unionid
    return this.#model().upsert(
      {
        appId: this.#appId,
        openid: tokens.openid,
        scope: tokens.scope,
        ...this.#tokenColumns(tokens, requestedAtMs),
        ...(profile ? profileColumns(profile) : {}),
        // A login without a unionid (snsapi_base) keeps the one a fuller login stored.
        ...(unionid ? { unionid: cut('unionid', unionid) } : {}),
      },
      { conflict: ['appId', 'openid'] },
    )
  }

  /** The stored login of `openid`, tokens decrypted; null when there is none. */
  async find(openid: string): Promise<StoredLogin | null> {
    const row = await this.#model().get({ appId: this.#appId, openid })
    if (!row) return null
    return {
      row,
      accessToken:
        row.accessToken === null
          ? null
          : this.#cipher.decrypt(row.accessToken, this.#aad(row, 'accessToken')),
      refreshToken:
        row.refreshToken === null
          ? null
          : this.#cipher.decrypt(row.refreshToken, this.#aad(row, 'refreshToken')),
    }
  }

  /** Stores the tokens a refresh returned (the refresh token may have changed: always the new one). */
  async saveRefreshed(row: WechatAuthRow, tokens: WechatTokenResponse, requestedAtMs: number): Promise<void> {
    await this.#model().updateByPK(row.id, {
      scope: tokens.scope,
      ...this.#tokenColumns(tokens, requestedAtMs),
    })
  }

  /** Stores a profile fetched with a stored token. */
  async saveProfile(row: WechatAuthRow, profile: WechatUserInfo): Promise<WechatAuthRow | null> {
    return this.#model().updateByPK(row.id, {
      ...profileColumns(profile),
      ...(profile.unionid ? { unionid: cut('unionid', profile.unionid) } : {}),
    })
  }

  /** Forgets a user's tokens (WeChat revoked them); the profile stays. */
  async clearTokens(row: WechatAuthRow): Promise<void> {
    await this.#model().updateByPK(row.id, {
      accessToken: null,
      refreshToken: null,
      expiresIn: null,
      expiresAt: null,
    })
  }

  #tokenColumns(tokens: WechatTokenResponse, requestedAtMs: number) {
    const identity = { appId: this.#appId, openid: tokens.openid }
    const lifetimeSeconds = Math.max(0, tokens.expires_in - EXPIRY_MARGIN_SECONDS)
    return {
      accessToken: this.#cipher.encrypt(tokens.access_token, this.#aad(identity, 'accessToken')),
      refreshToken: this.#cipher.encrypt(tokens.refresh_token, this.#aad(identity, 'refreshToken')),
      expiresIn: tokens.expires_in,
      expiresAt: new Date(requestedAtMs + lifetimeSeconds * 1000),
    }
  }

  /** The additional data that binds a ciphertext to its row and column. */
  #aad(row: { appId: string; openid: string }, column: 'accessToken' | 'refreshToken'): string {
    return `WechatPublicAuthModel\u0000${row.appId}\u0000${row.openid}\u0000${column}`
  }
}

function profileColumns(profile: WechatUserInfo): Omit<ProfileColumns, 'unionid'> {
  return {
    nickname: cut('nickname', profile.nickname),
    headimgurl: cut('headimgurl', profile.headimgurl),
    sex: profile.sex,
    province: cut('province', profile.province),
    city: cut('city', profile.city),
    country: cut('country', profile.country),
  }
}

/** `text` cut to the column's length in characters (an emoji is one). */
function cut(column: keyof WechatAuthRow, text: string): string {
  const max = MAX_CHARS[column] ?? 255
  if (text.length <= max) return text
  const chars = [...text]
  return chars.length <= max ? text : chars.slice(0, max).join('')
}
