/**
 * The rows of QywxInnerAuthModel for one corp: members unique on (corpId, memberKey), where memberKey
 * is the userid in lower case (WeCom compares userids ignoring case), non-members unique on
 * (corpId, openid). A member and a non-member are never the same row. Only fields WeCom answered are
 * written: a field it withholds (the 2022 change) stays as it was, empty for a new row.
 */
import type { ModelHandle } from 'jitlite/db'

export interface QywxAuthRow {
  id: number
  corpId: string
  memberKey: string | null
  userId: string | null
  openid: string | null
  externalUserId: string | null
  name: string | null
  mobile: string | null
  email: string | null
  avatar: string | null
  department: number[] | null
  position: string | null
  gender: string | null
  status: number | null
  isLeader: boolean | null
  accessToken: string | null
  refreshToken: string | null
  expiresAt: Date | null
  createdAt: Date | null
  updatedAt: Date | null
}

export type QywxAuthModel = Pick<ModelHandle<QywxAuthRow>, 'upsert' | 'get' | 'updateByPK' | 'ready'>

/** Profile columns as WeCom answered them; undefined means "not answered", and is not written. */
export type ProfileColumns = Partial<
  Pick<
    QywxAuthRow,
    'name' | 'mobile' | 'email' | 'avatar' | 'department' | 'position' | 'gender' | 'status' | 'isLeader'
  >
>

const MAX_CHARS: Partial<Record<keyof QywxAuthRow, number>> = {
  name: 255,
  mobile: 64,
  email: 255,
  avatar: 1024,
  position: 255,
  gender: 8,
  externalUserId: 128,
}

/** The key a member is found by: WeCom's userids are unique ignoring case. */
export function memberKeyOf(userId: string): string {
  return userId.toLowerCase()
}

/**
 * @example
 * const store = new QywxUserStore(() => owner.getChild('models.QywxInnerAuthModel'), 'ww0123456789abcdef')
 * const row = await store.saveMember('ZhangSan', { name: '张三', position: 'Engineer' })
 */
export class QywxUserStore {
  readonly #model: () => QywxAuthModel
  readonly #corpId: string

  constructor(model: () => QywxAuthModel, corpId: string) {
    this.#model = model
    this.#corpId = corpId
  }

  /** Stores a member's login: one upsert on (corpId, memberKey); the userid keeps WeCom's latest casing. */
  saveMember(userId: string, profile: ProfileColumns): Promise<QywxAuthRow> {
    return this.#model().upsert(
      { corpId: this.#corpId, memberKey: memberKeyOf(userId), userId, ...cutAll(profile) },
      { conflict: ['corpId', 'memberKey'] },
    )
  }

  /** Stores a non-member's login: one upsert on (corpId, openid). */
  saveNonMember(openid: string, externalUserId: string | undefined): Promise<QywxAuthRow> {
    return this.#model().upsert(
      {
        corpId: this.#corpId,
        openid,
        ...(externalUserId ? { externalUserId: cut('externalUserId', externalUserId) } : {}),
      },
      { conflict: ['corpId', 'openid'] },
    )
  }

  findMember(userId: string): Promise<QywxAuthRow | null> {
    return this.#model().get({ corpId: this.#corpId, memberKey: memberKeyOf(userId) })
  }

  /** Writes a fresher profile to a stored member. */
  updateMember(row: QywxAuthRow, userId: string, profile: ProfileColumns): Promise<QywxAuthRow | null> {
    return this.#model().updateByPK(row.id, { userId, ...cutAll(profile) })
  }
}

function cutAll(profile: ProfileColumns): ProfileColumns {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(profile)) {
    if (value === undefined) continue
    out[key] = typeof value === 'string' ? cut(key as keyof QywxAuthRow, value) : value
  }
  return out as ProfileColumns
}

/** `text` cut to the column's length in characters (an emoji is one). */
function cut(column: keyof QywxAuthRow, text: string): string {
  const max = MAX_CHARS[column] ?? 255
  const chars = [...text]
  return chars.length <= max ? text : chars.slice(0, max).join('')
}
