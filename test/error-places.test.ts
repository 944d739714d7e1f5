/**
 * An error says where: its message is the line `jit check` prints (file, field, reason, code), so an
 * uncaught one in a script points at what to fix; a mistyped app folder says it does not exist.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { buildServer } from '../runtime/http/server.ts'
import { createApp, type JitApp, JitError } from '../runtime/index.ts'
import { silentLogger } from '../runtime/log.ts'
import { REPO_ROOT, runJit, runNode } from './helpers/jit-process.ts'
import { appJson, writeTree } from './helpers/temp-app.ts'

const BAD_LINE =
  'app/auths/loginTypes/Bad/Bad.json: scope: Invalid option: expected one of "snsapi_userinfo"|"snsapi_base" (JIT_CONFIG_INVALID)'

/** A project folder holding `app/` with one login Instance whose scope is not an option. */
function projectWithBadScope(): string {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-places-'))
  const demo = JSON.parse(
    fs.readFileSync(path.join(REPO_ROOT, 'app/auths/loginTypes/MyWechatLogin/MyWechatLogin.json'), 'utf8'),
  )
  writeTree(project, {
    'app/app.json': appJson('shop'),
    'app/auths/loginTypes/Bad/e.json': { title: 'Bad', type: 'auths.loginTypes.WechatPublicType' },
    'app/auths/loginTypes/Bad/Bad.json': { ...demo, scope: 'snsapi_everything' },
  })
  return project
}

const apps: JitApp[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

describe('an error a script meets', () => {
  it('names file and field in its message, as jit check prints them, when nothing catches it', async () => {
    const project = projectWithBadScope()
    const check = await runJit(['check', 'app'], { cwd: project })
    expect(check.stdout.split('\n')[0]).toBe(BAD_LINE)

    // A program of the user's own, with createApp and no try: Node prints the message.
    const runtime = pathToFileURL(path.join(REPO_ROOT, 'runtime/index.ts')).href
    writeTree(project, {
      'main.mjs': [
        `import { createApp } from '${runtime}'`,
        `const app = await createApp({ appDir: 'app', logger: { info() {}, warn() {}, error() {} } })`,
        `app.getElement('auths.loginTypes.Bad')`,
      ].join('\n'),
    })
    const uncaught = await runNode(['--import', path.join(REPO_ROOT, 'bin/register.mjs'), 'main.mjs'], {
      cwd: project,
    })
    expect(uncaught.code).toBe(1)
    expect(uncaught.stderr).toContain(`JitError: ${BAD_LINE}\n`)

    writeTree(project, { 'scripts/uses-bad.ts': "app.getElement('auths.loginTypes.Bad')\n" })
    const run = await runJit(['run', 'scripts/uses-bad.ts', 'app'], { cwd: project })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`jit run: ${BAD_LINE}\n`)
  })

  it("points at the line of a Type's own code that threw, in jit check and in a script", async () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-places-'))
    writeTree(project, {
      'app/app.json': appJson('shop'),
      'app/greeters/Meta/e.json': { title: 'Greeters', type: '' },
      'app/greeters/LoudType/e.json': { title: 'Loud', type: 'greeters.Meta' },
      'app/greeters/LoudType/type.ts': [
        "import { defineType } from 'jitlite'",
        '',
        'export default defineType({',
        '  load() {',
        "    throw new Error('no voice left')",
        '  },',
        '})',
      ].join('\n'),
      'app/greeters/Shout/e.json': { title: 'Shout', type: 'greeters.LoudType' },
      'scripts/shout.ts': "app.getElement('greeters.Shout')\n",
    })
    const run = await runJit(['run', 'scripts/shout.ts', 'app'], { cwd: project })
    expect(run.code).toBe(1)
    // Line 5, column 11 of the TypeScript source (not of what it compiled to).
    expect(run.stderr).toContain(
      'jit run: app/greeters/LoudType/type.ts:5:11: loading greeters.Shout failed: no voice left (JIT_ELEMENT_BROKEN)\n',
    )

    fs.writeFileSync(
      path.join(project, 'app/greeters/LoudType/type.ts'),
      "import { defineType } from 'jitlite'\nexport default defineType({ prepare() { throw new Error('hoarse') } })\n",
    )
    const check = await runJit(['check', 'app'], { cwd: project })
    expect(check.code).toBe(1)
    expect(check.stdout).toMatch(
      /^app\/greeters\/LoudType\/type\.ts:2:\d+: preparing greeters\.Shout failed: hoarse \(JIT_ELEMENT_BROKEN\)$/m,
    )
  })

  it('keeps the reason apart, and puts only a file name in an HTTP answer', async () => {
    const project = projectWithBadScope()
    writeTree(project, {
      'app/services/Greeter/e.json': {
        title: 'Greeter',
        type: 'services.NormalType',
        functionList: [{ name: 'hi', loginRequired: false }],
      },
      // A service that reports a setting of its own, as a Type author's code does.
      'app/services/Greeter/index.ts': [
        "import path from 'node:path'",
        "import { JitError, Service } from 'jitlite'",
        'export default class Greeter extends Service {',
        '  hi() {',
        "    const file = path.join(this.element.dir, 'greeting.json')",
        "    throw new JitError('JIT_CONFIG_INVALID', 'is empty: write a greeting', { file, field: 'text' })",
        '  }',
        '}',
      ].join('\n'),
    })
    const app = await createApp({ appDir: path.join(project, 'app'), env: {}, logger: silentLogger })
    apps.push(app)
    const file = path.join(project, 'app/services/Greeter/greeting.json')
    const thrown = (() => {
      try {
        app.getElement('services.Greeter').hi()
      } catch (error) {
        return error as JitError
      }
    })()
    expect(thrown).toMatchObject({ reason: 'is empty: write a greeting', file, field: 'text' })
    expect(thrown?.message).toBe(`${file}: text: is empty: write a greeting (JIT_CONFIG_INVALID)`)

    const server = await buildServer(app)
    const res = await server.inject({ method: 'POST', url: '/api/tests/shop/services/Greeter/hi' })
    await server.close()
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual({
      errcode: 500,
      errmsg: 'greeting.json: text: is empty: write a greeting',
      code: 'JIT_CONFIG_INVALID',
    })
  })
})

describe('a missing app folder', () => {
  it('is named as missing by jit check and createApp', async () => {
    const missing = path.join(os.tmpdir(), `jitlite-no-such-app-${process.pid}`)
    const check = await runJit(['check', missing])
    expect(check.code).toBe(1)
    expect(check.stderr.trim()).toBe(
      `jit check: ${missing}: the app folder does not exist: name the folder that holds app.json ` +
        '(jit check <appDir>, createApp({ appDir })) (JIT_APP_DIR_NOT_FOUND)',
    )
    const error = await createApp({ appDir: missing, logger: silentLogger }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(JitError)
    expect(error).toMatchObject({ code: 'JIT_APP_DIR_NOT_FOUND', file: missing })
    expect((error as JitError).message).toContain(`${missing}: the app folder does not exist`)
  })

  it('says a file is not an app folder, and a folder without app.json lacks it', async () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-places-'))
    writeTree(project, { 'notes.txt': 'not an app' })
    const file = await runJit(['check', 'notes.txt'], { cwd: project })
    expect(file.stderr).toMatch(
      /^jit check: notes\.txt: is a file, not an app folder: .*\(JIT_APP_DIR_NOT_FOUND\)$/m,
    )
    fs.mkdirSync(path.join(project, 'empty'))
    const empty = await runJit(['check', 'empty'], { cwd: project })
    expect(empty.stderr).toMatch(/^jit check: empty\/app\.json: no app\.json in .*\(JIT_APP_JSON_INVALID\)$/m)
  })
})
