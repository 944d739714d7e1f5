import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { kState } from '../../runtime/app-state.ts'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { silentLogger } from '../../runtime/log.ts'
import { greeterFamily } from '../helpers/greeters.ts'
import { appJson, writeTempTree, writeTree } from '../helpers/temp-app.ts'

const apps: JitApp[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()))
})
async function open(appDir: string) {
  const app = await createApp({ appDir, env: {}, logger: silentLogger })
  apps.push(app)
  return app
}

/** A base app with the greeter family, and a child app extending it. */
function baseAndChild(
  baseExtra: Record<string, string | object>,
  childExtra: Record<string, string | object>,
) {
  const root = writeTempTree({})
  writeTree(path.join(root, 'base'), { 'app.json': appJson('base'), ...greeterFamily, ...baseExtra })
  writeTree(path.join(root, 'child'), { 'app.json': appJson('child', { extends: '../base' }), ...childExtra })
  return path.join(root, 'child')
}

describe('apps and inheritance', () => {
  it('lets a user app override an official Type, and Instances use the override', async () => {
    const dir = writeTempTree({
      'app.json': appJson(),
      'services/NormalType/e.json': { title: 'Audited service', type: 'services.Meta' },
      'services/NormalType/type.ts': `
import { defineType } from 'jitlite'
export default defineType({
  load: ({ module, element }) => {
    const Svc = module!.default as any
    return { describe: () => \`audited \${element.fullName}\`, inner: new Svc({}) }
  },
})
`,
      'services/HelloSvc/e.json': { title: 'Hello', type: 'services.NormalType' },
      'services/HelloSvc/index.ts': `import { Service } from 'jitlite'\nexport default class HelloSvc extends Service { hello(n: string) { return 'hi ' + n } }\n`,
    })
    const app = await open(dir)
    expect(app.getElement('services.HelloSvc').describe()).toBe('audited services.HelloSvc')
    const listing = app.listElements().find((e) => e.fullName === 'services.NormalType')
    expect(listing).toMatchObject({ app: 'tests.testapp', overrides: 'jit.framework' })
  })

  it('resolves elements of an extended app, and the child app overrides them by fullName', async () => {
    const dir = baseAndChild(
      {
        'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
        'greeters/English/English.json': { greeting: 'Hello' },
        'greeters/German/e.json': { title: 'German', type: 'greeters.FriendlyType' },
        'greeters/German/German.json': { greeting: 'Hallo' },
      },
      {
        'greeters/German/e.json': { title: 'German (child)', type: 'greeters.FriendlyType' },
        'greeters/German/German.json': { greeting: 'Guten Tag' },
      },
    )
    const app = await open(dir)
    expect(app.getElement('greeters.English').greet('Ann')).toBe('Hello, Ann!')
    expect(app.getElement('greeters.German').greet('Ann')).toBe('Guten Tag, Ann!')
    expect(app.listElements().find((e) => e.fullName === 'greeters.German')).toMatchObject({
      app: 'tests.child',
      overrides: 'tests.base',
    })
  })

  it('refuses to override a protected element and keeps the inherited one', async () => {
    const dir = baseAndChild(
      {
        'greeters/Official/e.json': {
          title: 'Official',
          type: 'greeters.FriendlyType',
          accessModifier: 'protected',
        },
        'greeters/Official/Official.json': { greeting: 'Welcome' },
      },
      {
        'greeters/Official/e.json': { title: 'Hijack', type: 'greeters.FriendlyType' },
        'greeters/Official/Official.json': { greeting: 'Gotcha' },
      },
    )
    const app = await open(dir)
    expect(app.getElement('greeters.Official').greet('Ann')).toBe('Welcome, Ann!')
    const problem = app.problems.find((p) => p.code === 'JIT_OVERRIDE_PROTECTED')
    expect(problem?.file).toBe(path.join(dir, 'greeters/Official/e.json'))
    expect(problem?.message).toContain('tests.base')
  })

  it('hides a private element from child apps, but not from its own app', async () => {
    const dir = baseAndChild(
      {
        'greeters/SecretType/e.json': { title: 'Internal', type: 'greeters.Meta', accessModifier: 'private' },
        'greeters/SecretType/type.ts': `import { defineType } from 'jitlite'\nexport default defineType({ load: () => ({ ok: true }) })\n`,
        'greeters/InBase/e.json': { title: 'Uses the private type', type: 'greeters.SecretType' },
      },
      {
        'greeters/InChild/e.json': { title: 'Tries the private type', type: 'greeters.SecretType' },
      },
    )
    const app = await open(dir)
    expect(app[kState].resolve('greeters.InBase')?.object()).toEqual({ ok: true })
    expect(() => app.getElement('greeters.SecretType')).toThrow(
      expect.objectContaining({ code: 'JIT_ELEMENT_NOT_FOUND' }),
    )
    expect(app.listElements().some((e) => e.fullName === 'greeters.SecretType')).toBe(false)
    expect(() => app.getElement('greeters.InChild')).toThrow(
      expect.objectContaining({
        code: 'JIT_TYPE_UNKNOWN',
        message: expect.stringContaining('private to app tests.base'),
      }),
    )
  })
})
