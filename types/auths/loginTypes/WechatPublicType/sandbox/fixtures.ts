import { readFixtures } from 'jitlite/sandbox'
import { z } from 'zod'
import { WechatSandboxError } from './errors.ts'
import { derivedOpenid } from './ids.ts'

/**
 * The fixtures file: the Official Accounts (apps) and WeChat users the sandbox knows. The default set
 * (fixtures.json beside this file) covers every case the conformance suite and the demo need.
 */

export const SCOPES = ['snsapi_base', 'snsapi_userinfo'] as const
export type Scope = (typeof SCOPES)[number]

const appid = z.string().regex(/^wx[0-9a-f]{16}$/, 'an appid is "wx" and 16 lowercase hex digits')
const openid = z
  .string()
  .regex(/^o[A-Za-z0-9_-]{27}$/, 'an openid is 28 characters of [A-Za-z0-9_-] starting with "o"')
// A domain as configured in WeChat: a host name without scheme or path. An optional ":port" narrows
// the match to that port (WeChat's test accounts accept "ip:port").
const domain = z
  .string()
  .regex(
    /^[a-z0-9.-]+(:\d{1,5})?$/,
    'a domain is a lowercase host name with an optional ":port", no scheme or path',
  )

const avatar = z.strictObject({
  /** Background colour of the generated SVG avatar. */
  background: z.string().regex(/^#[0-9a-fA-F]{6}$/),
  /** One or two characters drawn on it. */
  text: z.string().min(1).max(4),
})

const localized = z.strictObject({ zh_CN: z.string(), zh_TW: z.string(), en: z.string() })

const appSchema = z.strictObject({
  appid,
  secret: z.string().regex(/^[0-9a-f]{32}$/, 'a secret is 32 lowercase hex digits'),
  name: z.string().min(1),
  /** An Open Platform (website) appid is refused by the Official Account authorize page (10016). */
  kind: z.enum(['officialAccount', 'openPlatform']).default('officialAccount'),
  scopes: z.array(z.enum(SCOPES)).default([...SCOPES]),
  domains: z.array(domain).default([]),
  /** Bound to an Open Platform account: its userinfo-scope answers carry the user's unionid. */
  boundToOpenPlatform: z.boolean().default(false),
  banned: z.boolean().default(false),
  /** A test account (测试号): users must follow it before authorizing (10006). */
  testAccount: z.boolean().default(false),
  /** Third-party platforms (component appids) the account has authorized; others get 10015. */
  thirdPartyPlatforms: z.array(appid).default([]),
  avatar: avatar.nullable().default(null),
})

const userSchema = z.strictObject({
  key: z.string().regex(/^[a-z0-9-]{1,32}$/, 'a user key is 1-32 characters of [a-z0-9-]'),
  nickname: z.string(),
  /** null: the user has no avatar and headimgurl is "". */
  avatar: avatar.nullable(),
  /** Defaults to an id derived from the key. */
  unionid: openid.optional(),
  /** Per-app openids; any app not listed gets one derived from (appid, key). */
  openids: z.record(appid, openid).default({}),
  /** Appids of the accounts this user follows. */
  follows: z.array(appid).default([]),
  /** A snapshot-page virtual user: tokens carry is_snapshotuser 1, userinfo answers 48001. */
  snapshot: z.boolean().default(false),
  /** What the pre-October-2021 userinfo answered (used by the `userinfoShape: "legacy"` switch). */
  legacyProfile: z
    .strictObject({
      sex: z.union([z.literal(0), z.literal(1), z.literal(2)]),
      country: localized,
      province: localized,
      city: localized,
    })
    .optional(),
})

export const fixturesSchema = z
  .strictObject({
    apps: z.array(appSchema).min(1),
    users: z.array(userSchema).min(1),
    /** The user a silent (snsapi_base) authorization picks when the browser has not chosen one. */
    defaultUser: z.string().optional(),
  })
  .superRefine((fixtures, ctx) => {
    const appids = new Set<string>()
    fixtures.apps.forEach((app, index) => {
      if (appids.has(app.appid))
        ctx.addIssue({ code: 'custom', path: ['apps', index, 'appid'], message: 'duplicate appid' })
      appids.add(app.appid)
    })
    const keys = new Set<string>()
    fixtures.users.forEach((user, index) => {
      if (keys.has(user.key))
        ctx.addIssue({ code: 'custom', path: ['users', index, 'key'], message: 'duplicate key' })
      keys.add(user.key)
    })
    if (fixtures.defaultUser !== undefined && !keys.has(fixtures.defaultUser)) {
      ctx.addIssue({ code: 'custom', path: ['defaultUser'], message: 'names no user in "users"' })
    }
  })

export type FixturesInput = z.input<typeof fixturesSchema>
export type SandboxAppFixture = z.output<typeof appSchema>
export type SandboxUserFixture = z.output<typeof userSchema>
export type LocalizedText = z.output<typeof localized>

/** The fixtures after validation, with the lookups the sandbox needs. */
export interface SandboxFixtures {
  apps: SandboxAppFixture[]
  users: SandboxUserFixture[]
  defaultUser: string
}

export const DEFAULT_FIXTURES_PATH = new URL('./fixtures.json', import.meta.url)

/**
 * Loads and validates fixtures from a file path, a file URL or an object (default: fixtures.json).
 * Throws WECHAT_SANDBOX_FIXTURES_INVALID naming the file and the field.
 */
export function loadFixtures(source: string | URL | FixturesInput = DEFAULT_FIXTURES_PATH): SandboxFixtures {
  const fixtures = readFixtures(source, fixturesSchema, {
    what: 'sandbox fixtures',
    invalid: (message, cause) =>
      new WechatSandboxError('WECHAT_SANDBOX_FIXTURES_INVALID', message, { cause }),
  })
  return {
    apps: fixtures.apps,
    users: fixtures.users,
    defaultUser: fixtures.defaultUser ?? fixtures.users[0].key,
  }
}

/** The user's openid for one app: the fixture's own, else derived from (appid, key). */
export function openidOf(user: SandboxUserFixture, appid: string): string {
  return user.openids[appid] ?? derivedOpenid(appid, user.key)
}

/** The user's unionid: the fixture's own, else derived from the key. */
export function unionidOf(user: SandboxUserFixture): string {
  return user.unionid ?? derivedOpenid('unionid', user.key)
}
