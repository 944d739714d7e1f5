import { readFixtures } from 'jitlite/sandbox'
import { z } from 'zod'
import { WecomSandboxError } from './errors.ts'

/**
 * The fixtures file: one corp with its self-built apps, departments, members and non-members
 * (docs/wecom-protocol.md#identifiers). The default set (fixtures.json beside this file) covers the
 * cases the Type's tests and the demo need: a new and an old app, a narrow visible range, an app on
 * another domain, members with and without sensitive fields, a disabled member, two non-members.
 */

/** Fields an admin can let an app read through privateinfo (docs/wecom-protocol.md#sensitive-fields). */
export const SENSITIVE_FIELDS = [
  'avatar',
  'gender',
  'mobile',
  'email',
  'biz_mail',
  'address',
  'qr_code',
] as const
export type SensitiveField = (typeof SENSITIVE_FIELDS)[number]

const corpid = z
  .string()
  .regex(/^w[wx][0-9a-f]{16}$/, 'a corpid is "ww" (or "wx") and 16 lowercase hex digits')
// A trusted domain as configured in WeCom: a host, optionally with ":port", no scheme or path.
const domain = z
  .string()
  .regex(
    /^[a-z0-9.-]+(:\d{1,5})?$/,
    'a domain is a lowercase host name with an optional ":port", no scheme or path',
  )
const key = z.string().regex(/^[a-z0-9-]{1,32}$/, 'a key is 1-32 characters of [a-z0-9-]')
const logo = z.strictObject({
  /** Background colour of the generated SVG picture. */
  background: z.string().regex(/^#[0-9a-fA-F]{6}$/),
  /** One to four characters drawn on it. */
  text: z.string().min(1).max(4),
})

const appSchema = z.strictObject({
  agentid: z.int().min(1000001, "a self-built app's agentid is 1000001 or more"),
  secret: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a secret is 43 characters of [A-Za-z0-9_-]'),
  name: z.string().min(1),
  /**
   * Created after 2022-06-20 20:00: user/get withholds the sensitive fields and the trusted-IP list
   * applies (docs/wecom-protocol.md#profile).
   */
  createdAfter20220620: z.boolean().default(true),
  /** 网页授权及JS-SDK: hosts the in-client OAuth may redirect to. */
  oauthDomains: z.array(domain).default([]),
  /** 企业微信授权登录: hosts the web login may redirect to (either setting serves web login). */
  webLoginDomains: z.array(domain).default([]),
  /** Departments (with their sub-departments) and userids the app is visible to. */
  visibleRange: z
    .strictObject({ departments: z.array(z.int()).default([]), users: z.array(z.string()).default([]) })
    .default({ departments: [], users: [] }),
  /** Sensitive fields the admin enabled for privateinfo. */
  sensitiveFields: z.array(z.enum(SENSITIVE_FIELDS)).default([]),
  /** 企业可信IP: caller IPs allowed; null = no list (an app created before the rule). */
  trustedIps: z.array(z.string().min(1)).nullable().default(null),
  logo: logo.nullable().default(null),
})

const departmentSchema = z.strictObject({
  id: z.int().positive(),
  name: z.string().min(1),
  name_en: z.string().optional(),
  /** 0 for the root. */
  parentid: z.int().min(0),
  order: z.int().default(0),
})

const memberSchema = z.strictObject({
  key,
  /** 1-64 bytes of [A-Za-z0-9_-@.], first alphanumeric; a linked corp's member is "CorpId/userid". */
  userid: z
    .string()
    .regex(
      /^([A-Za-z0-9]+\/)?[A-Za-z0-9][A-Za-z0-9_@.-]{0,63}$/,
      'a userid is 1-64 of [A-Za-z0-9_-@.], first alphanumeric',
    ),
  name: z.string().min(1),
  department: z.array(z.int()).min(1),
  /** Parallel to `department`: 1 where the member leads it. */
  isLeaderInDept: z.array(z.union([z.literal(0), z.literal(1)])).optional(),
  position: z.string().default(''),
  mobile: z.string().default(''),
  email: z.string().default(''),
  biz_mail: z.string().default(''),
  /** "0" unknown, "1" male, "2" female: a string, as WeCom sends it. */
  gender: z.enum(['0', '1', '2']).default('0'),
  avatar: logo.nullable().default(null),
  address: z.string().default(''),
  alias: z.string().default(''),
  telephone: z.string().default(''),
  /** 1 active, 2 disabled, 4 not activated, 5 left. */
  status: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(5)]).default(1),
})

const nonMemberSchema = z.strictObject({
  key,
  /** Shown in the sandbox's picker only: WeCom tells the app nothing but the openid. */
  name: z.string().min(1),
  openid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an openid is at most 64 characters of [A-Za-z0-9_-]'),
  /** Only for a customer of a member in the visible range. */
  external_userid: z.string().optional(),
})

export const fixturesSchema = z
  .strictObject({
    corp: z.strictObject({ corpid, name: z.string().min(1) }),
    apps: z.array(appSchema).min(1),
    departments: z.array(departmentSchema).min(1),
    members: z.array(memberSchema).min(1),
    nonMembers: z.array(nonMemberSchema).default([]),
    /** The person a silent in-client login picks when the browser has not chosen one (a member's key). */
    defaultMember: key.optional(),
  })
  .superRefine((fixtures, ctx) => {
    const unique = (items: unknown[], path: (index: number) => (string | number)[], what: string) => {
      const seen = new Set<unknown>()
      items.forEach((item, index) => {
        if (seen.has(item)) ctx.addIssue({ code: 'custom', path: path(index), message: `duplicate ${what}` })
        seen.add(item)
      })
    }
    unique(
      fixtures.apps.map((app) => app.agentid),
      (i) => ['apps', i, 'agentid'],
      'agentid',
    )
    unique(
      fixtures.departments.map((d) => d.id),
      (i) => ['departments', i, 'id'],
      'department id',
    )
    const people = [...fixtures.members, ...fixtures.nonMembers]
    unique(
      people.map((p) => p.key),
      (i) => [i < fixtures.members.length ? 'members' : 'nonMembers', i, 'key'],
      'key',
    )
    // WeCom compares userids ignoring case.
    unique(
      fixtures.members.map((m) => m.userid.toLowerCase()),
      (i) => ['members', i, 'userid'],
      'userid (ignoring case)',
    )
    const departments = new Set(fixtures.departments.map((d) => d.id))
    fixtures.members.forEach((member, index) => {
      for (const id of member.department) {
        if (!departments.has(id))
          ctx.addIssue({
            code: 'custom',
            path: ['members', index, 'department'],
            message: `no department ${id}`,
          })
      }
    })
    if (
      fixtures.defaultMember !== undefined &&
      !fixtures.members.some((m) => m.key === fixtures.defaultMember)
    )
      ctx.addIssue({ code: 'custom', path: ['defaultMember'], message: 'names no member' })
  })

export type FixturesInput = z.input<typeof fixturesSchema>
export type WecomAppFixture = z.output<typeof appSchema>
export type WecomDepartmentFixture = z.output<typeof departmentSchema>
export type WecomMemberFixture = z.output<typeof memberSchema>
export type WecomNonMemberFixture = z.output<typeof nonMemberSchema>

/** Someone who can hold the WeCom (or WeChat) client: a member of the corp, or not. */
export type Person =
  | { kind: 'member'; member: WecomMemberFixture }
  | { kind: 'nonMember'; nonMember: WecomNonMemberFixture }

export interface WecomFixtures {
  corp: { corpid: string; name: string }
  apps: WecomAppFixture[]
  departments: WecomDepartmentFixture[]
  members: WecomMemberFixture[]
  nonMembers: WecomNonMemberFixture[]
  defaultMember: string
}

export const DEFAULT_FIXTURES_PATH = new URL('./fixtures.json', import.meta.url)

/**
 * Loads and validates fixtures from a file path, a file URL or an object (default: fixtures.json).
 * Throws WECOM_SANDBOX_FIXTURES_INVALID naming the file and the fields.
 */
export function loadFixtures(source: string | URL | FixturesInput = DEFAULT_FIXTURES_PATH): WecomFixtures {
  const data = readFixtures(source, fixturesSchema, {
    what: 'WeCom sandbox fixtures',
    invalid: (message, cause) => new WecomSandboxError('WECOM_SANDBOX_FIXTURES_INVALID', message, { cause }),
  })
  return { ...data, defaultMember: data.defaultMember ?? data.members[0].key }
}
