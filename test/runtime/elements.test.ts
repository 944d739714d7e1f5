import { afterEach, describe, expect, it } from 'vitest'
import { kState } from '../../runtime/app-state.ts'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { silentLogger } from '../../runtime/log.ts'
import { greeterFamily } from '../helpers/greeters.ts'
import { appJson, writeTempTree } from '../helpers/temp-app.ts'

const apps: JitApp[] = []
async function open(tree: Parameters<typeof writeTempTree>[0], env: Record<string, string> = {}) {
  const dir = writeTempTree({ 'app.json': appJson(), ...tree })
  const app = await createApp({ appDir: dir, env, logger: silentLogger })
  apps.push(app)
  return { app, dir }
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()))
})

describe('layers and type chains', () => {
  it('lists Metas, Types and Instances with their types and source apps', async () => {
    const { app } = await open({
      ...greeterFamily,
      'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
      'greeters/English/English.json': { greeting: 'Hello' },
    })
    const byName = new Map(app.listElements().map((e) => [e.fullName, e]))
    expect(byName.get('greeters.Meta')).toMatchObject({ layer: 'Meta', type: '', app: 'tests.testapp' })
    expect(byName.get('greeters.FriendlyType')).toMatchObject({ layer: 'Type', type: 'greeters.Meta' })
    expect(byName.get('greeters.English')).toMatchObject({
      layer: 'Instance',
      type: 'greeters.FriendlyType',
      config: { greeting: 'Hello', punctuation: '!' },
    })
    expect(byName.get('services.NormalType')).toMatchObject({ layer: 'Type', app: 'jit.framework' })
    expect(app[kState].resolve('greeters.English')?.element.chain).toEqual([
      'greeters.English',
      'greeters.FriendlyType',
      'greeters.Meta',
    ])
  })

  it('loads an Instance lazily with its validated config and schema defaults', async () => {
    const { app } = await open({
      ...greeterFamily,
      'greeters/French/e.json': { title: 'French', type: 'greeters.FriendlyType' },
      'greeters/French/French.json': { greeting: 'Bonjour' },
    })
    expect(app.getElement('greeters.French').greet('Marie')).toBe('Bonjour, Marie!')
  })

  it('falls back to config.json when there is no <Folder>.json', async () => {
    const { app } = await open({
      ...greeterFamily,
      'greeters/Dutch/e.json': { title: 'Dutch', type: 'greeters.FriendlyType' },
      'greeters/Dutch/config.json': { greeting: 'Hallo', punctuation: '.' },
    })
    expect(app.getElement('greeters.Dutch').greet('Anna')).toBe('Hallo, Anna.')
  })

  it('reads ${NAME} placeholders from the env, with ${NAME:-default}', async () => {
    const { app } = await open(
      {
        ...greeterFamily,
        'greeters/Env/e.json': { title: 'Env', type: 'greeters.FriendlyType' },
        'greeters/Env/Env.json': { greeting: '${GREETING}', punctuation: '${PUNCT:-.}' },
      },
      { GREETING: 'Hej' },
    )
    expect(app.getElement('greeters.Env').greet('Ole')).toBe('Hej, Ole.')
  })

  it('freezes the config a Type receives', async () => {
    const { app } = await open({
      ...greeterFamily,
      'greeters/Frozen/e.json': { title: 'Frozen', type: 'greeters.FriendlyType' },
      'greeters/Frozen/Frozen.json': { greeting: 'Hi' },
      'greeters/FriendlyType/type.ts': `
import { defineType, z } from 'jitlite'
export default defineType({
  config: z.object({ greeting: z.string(), nested: z.object({ a: z.number() }).default({ a: 1 }) }),
  load: ({ config }) => ({ tryToChange: () => { (config as any).nested.a = 2 } }),
})
`,
    })
    expect(() => app.getElement('greeters.Frozen').tryToChange()).toThrow(TypeError)
  })
})

describe('instance-scoped children', () => {
  it('binds a Type child to each Instance that reaches it, independently', async () => {
    const { app } = await open({
      ...greeterFamily,
      'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
      'greeters/English/English.json': { greeting: 'Hello' },
      'greeters/French/e.json': { title: 'French', type: 'greeters.FriendlyType' },
      'greeters/French/French.json': { greeting: 'Bonjour' },
    })
    const english = app.getElement('greeters.English.services.EchoSvc')
    const french = app.getElement('greeters.French.services.EchoSvc')
    expect(english.whoAmI()).toEqual({ owner: 'greeters.English', greeting: 'Hello' })
    expect(french.whoAmI()).toEqual({ owner: 'greeters.French', greeting: 'Bonjour' })
    expect(app[kState].resolve('greeters.English.services.EchoSvc')?.object()).not.toBe(
      app[kState].resolve('greeters.French.services.EchoSvc')?.object(),
    )
  })

  it('finds a child declared on a Type further up the chain', async () => {
    const { app } = await open({
      ...greeterFamily,
      'greeters/LoudType/e.json': { title: 'Loud', type: 'greeters.FriendlyType' },
      'greeters/LoudType/type.ts': `
import { defineType } from 'jitlite'
export default defineType({ load: ({ config }) => ({ greet: (w: string) => \`\${String(config.greeting).toUpperCase()}, \${w}!\` }) })
`,
      'greeters/Shout/e.json': { title: 'Shout', type: 'greeters.LoudType' },
      'greeters/Shout/Shout.json': { greeting: 'hey' },
    })
    expect(app.getElement('greeters.Shout').greet('you')).toBe('HEY, you!')
    expect(app.getElement('greeters.Shout.services.EchoSvc').whoAmI()).toEqual({
      owner: 'greeters.Shout',
      greeting: 'hey',
    })
  })

  it('refuses a Type child reached without an Instance, naming how to reach it', async () => {
    const { app } = await open({
      ...greeterFamily,
      'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
      'greeters/English/English.json': {},
    })
    expect(() => app.getElement('greeters.FriendlyType.services.EchoSvc')).toThrow(
      expect.objectContaining({
        code: 'JIT_ELEMENT_NEEDS_INSTANCE',
        message: expect.stringContaining('greeters.English.services.EchoSvc'),
      }),
    )
  })
})

describe('getElement', () => {
  it('throws JIT_ELEMENT_NOT_FOUND with a did-you-mean hint', async () => {
    const { app } = await open({
      ...greeterFamily,
      'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
    })
    let error: any
    try {
      app.getElement('greeters.Englsh')
    } catch (err) {
      error = err
    }
    expect(error.code).toBe('JIT_ELEMENT_NOT_FOUND')
    expect(error.name).toBe('ElementNotFoundError')
    expect(error.message).toContain('did you mean "greeters.English"')
  })

  it('returns the same stable handle for a name, and it can be awaited', async () => {
    const { app } = await open({
      ...greeterFamily,
      'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
    })
    const handle = app.getElement('greeters.English')
    expect(app.getElement('greeters.English')).toBe(handle)
    expect(await handle).toBe(handle)
    expect(handle.name).toBe('greeters.English')
  })

  it('gives getElementDefine the e.json content without loading', async () => {
    const { app } = await open({
      ...greeterFamily,
      'greeters/English/e.json': {
        title: 'English',
        type: 'greeters.FriendlyType',
        icon: 'hello',
        custom: 1,
      },
    })
    expect(app.getElementDefine('greeters.English')).toMatchObject({
      title: 'English',
      icon: 'hello',
      custom: 1,
    })
  })
})
