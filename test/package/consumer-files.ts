import fs from 'node:fs'
import path from 'node:path'
import type { FileTree } from '../helpers/temp-app.ts'

/**
 * The project of someone who depends on jitlite: a plain strict tsconfig with nothing for jitlite,
 * an app whose login Type is written against the public entry points only, and a misspelt Type.
 * The login Type is its own provider: its `authorize` action stands in for a provider's consent page
 * and hands out single-use codes, and it chooses the user from a cookie of its own.
 */

export const ORG = 'consumer'
export const APP = 'shop'
export const LOGIN_INSTANCE = 'auths.loginTypes.Ada'
export const LOGIN_PATH = `/api/${ORG}/${APP}/auths/loginTypes/Ada`
/** The cookie by which the provider remembers who is signed in with it. */
export const PROVIDER_USER_COOKIE = 'local_provider_user'

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    skipLibCheck: false,
    noEmit: true,
  },
  include: ['app', '*.ts'],
}

const LOCAL_LOGIN_TYPE = `import { randomBytes } from 'node:crypto'
import { defineType, z } from 'jitlite'
import type { CallbackParams, LoginProvider, LoginResult } from 'jitlite/auth'
import type { RouteContext } from 'jitlite/http'

const config = z.object({
  defaultUser: z.string(),
  allowedRedirectOrigins: z.array(z.string()).default([]),
})
type Config = z.infer<typeof config>

// Issued codes, kept by the module: a hot reload builds new Instances (jit dev reloads when the app's
// data folder appears at the first login), and a code issued by the old one must still be redeemable.
const issuedCodes = new Map<string, string>()

class LocalLogin implements LoginProvider {

  constructor(readonly config: Config) {}

  getLoginConfig() {
    return { defaultUser: this.config.defaultUser }
  }

  allowedRedirectOrigins() {
    return this.config.allowedRedirectOrigins
  }

  createLoginUrl(input: { state: string; callbackUrl: string }): string {
    const url = new URL(input.callbackUrl.replace(/\\/callback$/, '/authorize'))
    url.searchParams.set('state', input.state)
    return url.href
  }

  issueCode(user: string): string {
    const code = randomBytes(16).toString('hex')
    issuedCodes.set(code, user)
    return code
  }

  readCallback(query: Readonly<Record<string, string>>): CallbackParams {
    if (!query.code) return { kind: 'denied' }
    return /^[0-9a-f]{32}$/.test(query.code) ? { kind: 'code', code: query.code } : { kind: 'malformed', field: 'code' }
  }

  async completeLogin(params: { code: string }): Promise<LoginResult> {
    const user = issuedCodes.get(params.code)
    issuedCodes.delete(params.code)
    if (user === undefined) return { status: 'failed', reason: 'expired', message: 'This link was used: start again.' }
    return { status: 'success', user: { userKey: user, displayName: \`\${user} (local)\` } }
  }
}

/** The provider's consent page: signs in whoever its cookie names, and goes back to the callback. */
function authorize(ctx: RouteContext<LocalLogin, Config>) {
  const user = ctx.request.cookies.${PROVIDER_USER_COOKIE} ?? ctx.config.defaultUser
  const { state } = ctx.request.query as { state?: string }
  const back = new URL(ctx.actionUrl('callback'))
  back.searchParams.set('code', ctx.instance.issueCode(user))
  back.searchParams.set('state', state ?? '')
  return ctx.reply.redirect(back.href)
}

export default defineType<Config, LocalLogin>({
  config,
  load: ({ config }) => new LocalLogin(config),
  routes: { authorize: { method: 'GET', handler: authorize } },
})
`

const MISSPELT_TYPE = `import { defineType, z } from 'jitlite'

export default defineType({
  config: z.object({ greeting: z.string() }),
  rotues: { hello: { method: 'GET', handler: () => 'hi' } },
})
`

/** The line of MISSPELT_TYPE that must fail to compile (1-based, as tsc counts). */
export const MISSPELT_LINE = MISSPELT_TYPE.split('\n').findIndex((line) => line.includes('rotues')) + 1

/**
 * A module that loads the declarations of every entry point the installed package at `packageDir`
 * exports, so that all of them are checked: each named entry, and each file a `./prefix/*.ts` pattern
 * reaches (the official Types' modules). `./script` is checked by the script below, as scripts use it.
 */
export function entryPointsModule(packageDir: string): string {
  const { exports: entries } = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'))
  const specifiers: string[] = []
  for (const [key, entry] of Object.entries<unknown>(entries)) {
    if (typeof entry !== 'object' || entry === null || !('default' in entry) || !('types' in entry)) continue
    const [prefix, suffix] = key.slice(2).split('*')
    if (suffix === undefined) specifiers.push(key === '.' ? 'jitlite' : `jitlite/${prefix}`)
    else
      for (const file of fs.readdirSync(path.join(packageDir, prefix), { recursive: true, encoding: 'utf8' }))
        if (file.endsWith(suffix) && !file.endsWith('.d.ts') && !file.endsWith('.test.ts'))
          specifiers.push(`jitlite/${prefix}${file.split(path.sep).join('/')}`)
  }
  return `${specifiers.map((specifier, index) => `export type * as entry${index} from '${specifier}'`).join('\n')}\n`
}

/** A script as `jit run` runs it: the running app in scope, typed by `jitlite/script`. */
const SCRIPT = `/// <reference types="jitlite/script" />
const names = app.listElements().map((element) => element.fullName)
console.log(names.includes('${LOGIN_INSTANCE}') ? 'the script sees ${LOGIN_INSTANCE}' : 'no ${LOGIN_INSTANCE}')
`
export const SCRIPT_SAYS = `the script sees ${LOGIN_INSTANCE}`

/** The project's files; `entry-points.ts` comes once the package is installed (entryPointsModule). */
export function consumerFiles(): FileTree {
  return {
    'tsconfig.json': TSCONFIG,
    'misspelt.ts': MISSPELT_TYPE,
    'list-elements.ts': SCRIPT,
    'app/app.json': { orgId: ORG, name: APP, title: 'A shop that depends on jitlite', version: '1.0.0' },
    'app/auths/loginTypes/LocalType/e.json': { title: 'Local login', type: 'auths.loginTypes.Meta' },
    'app/auths/loginTypes/LocalType/type.ts': LOCAL_LOGIN_TYPE,
    'app/auths/loginTypes/Ada/e.json': { title: "Ada's login", type: 'auths.loginTypes.LocalType' },
    'app/auths/loginTypes/Ada/Ada.json': { defaultUser: 'ada' },
  }
}
