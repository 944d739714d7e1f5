/**
 * jitlite as a dependency: the repository packed with `npm pack`, installed from that tarball into a
 * project outside the repository, compiled there by the project's own `tsc` under a plain strict
 * tsconfig, and run there with the installed `jit`: a login Type written against the public entry
 * points serves a login over HTTP, keeping the Meta's `login` and `callback` beside its own action.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runToEnd, type Served } from '../helpers/processes.ts'
import { writeTree } from '../helpers/temp-app.ts'
import {
  APP,
  consumerFiles,
  entryPointsModule,
  LOGIN_INSTANCE,
  LOGIN_PATH,
  MISSPELT_LINE,
  ORG,
  PROVIDER_USER_COOKIE,
  SCRIPT_SAYS,
} from './consumer-files.ts'
import { createConsumerProject, type Packed, packRepository, serveWithJit } from './consumer-project.ts'

// Packing compiles the declarations and the consumer compiles against them: minutes on a busy machine.
const SETUP_TIMEOUT_MS = 300_000
const STEP_TIMEOUT_MS = 180_000

let packDir: string
let packed: Packed
let project: string
const servers: Served[] = []

beforeAll(async () => {
  packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-pack-'))
  packed = await packRepository(packDir)
  project = await createConsumerProject(packed.tarball, consumerFiles())
  writeTree(project, { 'entry-points.ts': entryPointsModule(path.join(project, 'node_modules/jitlite')) })
}, SETUP_TIMEOUT_MS)

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()))
  for (const dir of [project, packDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

describe('the packed tarball', () => {
  it('holds the code, the built declarations and the bin, and no tests, benches, demo app or data', () => {
    const paths = packed.files.map((file) => file.path)
    expect(paths).toContain('bin/jit.mjs')
    expect(paths).toContain('runtime/index.ts')
    expect(paths).toContain('dist/types/runtime/index.d.ts')
    expect(paths).toContain('types/auths/loginTypes/Meta/e.json')
    const unwanted = paths.filter(
      (file) =>
        /^(test|app|docs|scripts|\.ci)\//.test(file) ||
        /\.test\.ts$|bench|\.sqlite|\.jitlite\/|(^|\/)data\//.test(file),
    )
    expect(unwanted).toEqual([])
  })

  it('is what npm installed: jitlite comes from the tarball, not from a path', () => {
    const jitlite = path.join(project, 'node_modules/jitlite')
    expect(fs.lstatSync(jitlite).isSymbolicLink()).toBe(false)
    const lock = JSON.parse(fs.readFileSync(path.join(project, 'node_modules/.package-lock.json'), 'utf8'))
    const resolved = String(lock.packages['node_modules/jitlite'].resolved)
    expect(resolved.startsWith('file:')).toBe(true)
    expect(fs.realpathSync(path.resolve(project, resolved.slice('file:'.length)))).toBe(
      fs.realpathSync(packed.tarball),
    )
    // npm rewrote its own record of the install, not the repository's (see NOT_COPIED).
    expect(fs.statSync(path.join(project, 'node_modules/.package-lock.json')).nlink).toBe(1)
    expect(fs.existsSync(path.join(jitlite, 'dist/types/runtime/index.d.ts'))).toBe(true)
  })
})

describe('a TypeScript project that depends on jitlite', () => {
  it(
    'compiles under a plain strict tsconfig with no error inside jitlite, and refuses a misspelt member',
    async () => {
      const tsc = path.join(project, 'node_modules/typescript/bin/tsc')
      const { code, output } = await runToEnd(process.execPath, [tsc, '--noEmit', '-p', '.'], {
        cwd: project,
      })
      const errors = output
        .split('\n')
        .map((line) => /^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/.exec(line))
        .filter((match) => match !== null)
        .map(([, file, line, errorCode, message]) => ({ file, line: Number(line), errorCode, message }))
      // The only errors are the misspelt member's; none is in jitlite, the login Type or the entry points.
      expect(code).not.toBe(0)
      expect(errors.length).toBeGreaterThan(0)
      expect(
        errors.filter((error) => error.file !== 'misspelt.ts'),
        output,
      ).toEqual([])
      expect(
        errors.every((error) => error.line === MISSPELT_LINE),
        output,
      ).toBe(true)
      expect(
        errors.some((error) => error.message.includes("'rotues'")),
        output,
      ).toBe(true)
    },
    STEP_TIMEOUT_MS,
  )
})

describe('the installed jit', () => {
  it(
    'checks the app',
    async () => {
      const jit = path.join(project, 'node_modules/.bin/jit')
      const { code, output } = await runToEnd(jit, ['check', 'app'], { cwd: project })
      expect(output).toMatch(/^\d+ elements, no problems$/m)
      expect(code).toBe(0)
    },
    STEP_TIMEOUT_MS,
  )

  it(
    'runs a script',
    async () => {
      const jit = path.join(project, 'node_modules/.bin/jit')
      const { code, output } = await runToEnd(jit, ['run', 'list-elements.ts', 'app'], { cwd: project })
      expect(output).toContain(SCRIPT_SAYS)
      expect(code).toBe(0)
    },
    STEP_TIMEOUT_MS,
  )

  it(
    'serves a login with the Type under jit dev: login, the provider, callback, session',
    async () => {
      const server = await serveWithJit(project, 'dev')
      servers.push(server)
      expect(await signIn(server.url, 'grace')).toEqual({
        loginType: LOGIN_INSTANCE,
        userKey: 'grace',
        displayName: 'grace (local)',
      })
      // The framework's default database lives in the user's app, not in the installed package.
      expect(fs.existsSync(path.join(project, 'app/data/app.sqlite'))).toBe(true)
      expect(fs.existsSync(path.join(project, 'node_modules/jitlite/types/data'))).toBe(false)
    },
    STEP_TIMEOUT_MS,
  )

  it(
    'serves it under jit start too',
    async () => {
      const server = await serveWithJit(project, 'start', {
        JIT_SECRET_KEY: 'Kx7z6bq4cVYpHh0m2lTQ1mE6m3r6TqRz8dW9s0gYt3U=',
      })
      servers.push(server)
      expect(await signIn(server.url)).toEqual({
        loginType: LOGIN_INSTANCE,
        userKey: 'ada',
        displayName: 'ada (local)',
      })
    },
    STEP_TIMEOUT_MS,
  )
})

/**
 * A browser's login through the app's HTTP actions, its cookies carried by hand: `login` (the Meta's)
 * to the provider's `authorize` (the Type's own action) to `callback` (the Meta's), then the session.
 * Signs in as `user` when given, else as the Instance's default user. Resolves with the session's user.
 */
async function signIn(url: string, user?: string): Promise<unknown> {
  const cookies = new Map<string, string>()
  if (user) cookies.set(PROVIDER_USER_COOKIE, user)
  const get = async (target: string) => {
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    const response = await fetch(new URL(target, url), { redirect: 'manual', headers: { cookie } })
    for (const set of response.headers.getSetCookie()) {
      const pair = set.split(';')[0]
      const at = pair.indexOf('=')
      cookies.set(pair.slice(0, at), pair.slice(at + 1))
    }
    return response
  }

  const login = await get(`${LOGIN_PATH}/login?redirectUrl=%2Fwelcome`)
  expect(login.status).toBe(302)
  const authorizeUrl = String(login.headers.get('location'))
  expect(authorizeUrl.startsWith(`${url}${LOGIN_PATH}/authorize?state=`)).toBe(true)

  const consent = await get(authorizeUrl)
  expect(consent.status).toBe(302)
  const callbackUrl = String(consent.headers.get('location'))
  expect(callbackUrl.startsWith(`${url}${LOGIN_PATH}/callback?code=`)).toBe(true)

  const callback = await get(callbackUrl)
  expect(callback.status).toBe(302)
  expect(new URL(String(callback.headers.get('location')), url).pathname).toBe('/welcome')

  const session = await get(`/api/${ORG}/${APP}/auths/session`)
  expect(session.status).toBe(200)
  const body = (await session.json()) as { data: { user: unknown } }
  return body.data.user
}
