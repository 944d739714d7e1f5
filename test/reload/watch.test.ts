import fs from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { kState } from '../../runtime/app-state.ts'
import { closeWatchedApps, eventually, fence, nextEvent, openWatchedApp, own } from './watching.ts'

afterEach(closeWatchedApps)

describe('hot reload with the real watcher', () => {
  it('an edited config applies at once, also through a handle taken before the edit', async () => {
    const { app, write } = await openWatchedApp()
    const english = app.getElement('greeters.English')
    expect(english.greet('Ann')).toBe('Hello, Ann!')

    const reloaded = nextEvent(app, 'reload')
    write('greeters/English/English.json', { greeting: 'Howdy' })
    const result = await reloaded
    expect(result.applied).toBe(true)
    expect([own(result.changed), own(result.added), own(result.removed)]).toEqual([
      ['greeters.English'],
      [],
      [],
    ])

    expect(english.greet('Ann')).toBe('Howdy, Ann!')
    expect(app.getElement('greeters.English').greet('Bob')).toBe('Howdy, Bob!')
  })

  it('an added element folder is reachable at once, with its scoped children', async () => {
    const { app, write } = await openWatchedApp()
    const added = nextEvent(app, 'reload', (r) => r.added.includes('greeters.Welsh'))
    write('greeters/Welsh/e.json', { title: 'Welsh', type: 'greeters.FriendlyType' })
    write('greeters/Welsh/Welsh.json', { greeting: 'Shwmae' })
    await added
    expect(app.getElement('greeters.Welsh').greet('Ann')).toBe('Shwmae, Ann!')
    expect(app.getElement('greeters.Welsh.services.EchoSvc').whoAmI()).toEqual({
      owner: 'greeters.Welsh',
      greeting: 'Shwmae',
    })
  })

  it('a deleted element folder is gone: getElement and old handles throw not-found', async () => {
    const { app, file } = await openWatchedApp()
    const english = app.getElement('greeters.English')
    const removed = nextEvent(app, 'reload')
    fs.rmSync(file('greeters/English'), { recursive: true })
    expect(own((await removed).removed)).toEqual(['greeters.English'])
    const notFound = expect.objectContaining({ code: 'JIT_ELEMENT_NOT_FOUND' })
    expect(() => english.greet('Ann')).toThrow(notFound)
    expect(() => app.getElement('greeters.English')).toThrow(notFound)
  })

  it('a renamed element folder is reachable under its new name, and the old name is gone', async () => {
    const { app, file } = await openWatchedApp()
    const renamed = nextEvent(app, 'reload', (r) => r.added.includes('greeters.British'))
    fs.renameSync(file('greeters/English'), file('greeters/British'))
    // The config follows the folder's name: English.json is not British.json, so keep it as config.json.
    fs.renameSync(file('greeters/British/English.json'), file('greeters/British/config.json'))
    const result = await renamed
    expect(result.removed).toContain('greeters.English')
    expect(app.getElement('greeters.British').greet('Ann')).toBe('Hello, Ann!')
    expect(() => app.getElement('greeters.English')).toThrow(
      expect.objectContaining({ code: 'JIT_ELEMENT_NOT_FOUND' }),
    )
  })

  it('a call in flight finishes on the old definition, whose objects are disposed after it', async () => {
    const disposed: string[] = []
    ;(globalThis as { __reloadDisposed?: string[] }).__reloadDisposed = disposed
    const { app, write } = await openWatchedApp({
      'counters/Meta/e.json': { title: 'Counters', type: '' },
      'counters/SlowType/e.json': { title: 'Slow', type: 'counters.Meta' },
      'counters/SlowType/type.ts': `
import { defineType, z } from 'jitlite'
export default defineType({
  config: z.object({ label: z.string() }),
  load: ({ config }) => ({
    label: () => config.label,
    slowLabel: async (ms: number) => { await new Promise((r) => setTimeout(r, ms)); return config.label },
  }),
  dispose: (instance: { label(): string }) => { (globalThis as any).__reloadDisposed.push(instance.label()) },
})
`,
      'counters/One/e.json': { title: 'One', type: 'counters.SlowType' },
      'counters/One/One.json': { label: 'first' },
    })
    const one = app.getElement('counters.One')
    const inFlight = one.slowLabel(300)
    const reloaded = nextEvent(app, 'reload')
    write('counters/One/One.json', { label: 'second' })
    await reloaded
    expect(one.label()).toBe('second')
    expect(disposed).toEqual([])
    expect(await inFlight).toBe('first')
    await eventually(() => disposed.includes('first'), 'the old generation to be disposed')
  })

  it('follows app.json: a newly extended app is watched too', async () => {
    const { app, write, dir } = await openWatchedApp()
    const base = `${dir}-base`
    fs.mkdirSync(`${base}/greeters/Base`, { recursive: true })
    fs.writeFileSync(
      `${base}/app.json`,
      JSON.stringify({ orgId: 'tests', name: 'base', title: 'Base', version: '1.0.0' }),
    )
    fs.writeFileSync(
      `${base}/greeters/Base/e.json`,
      JSON.stringify({ title: 'Base', type: 'greeters.FriendlyType' }),
    )
    fs.writeFileSync(`${base}/greeters/Base/Base.json`, JSON.stringify({ greeting: 'Base hello' }))

    const extended = nextEvent(app, 'reload', (r) => r.added.includes('greeters.Base'))
    write('app.json', { orgId: 'tests', name: 'testapp', title: 'T', version: '1.0.0', extends: `${base}` })
    await extended
    expect(app.getElement('greeters.Base').greet('Ann')).toBe('Base hello, Ann!')

    const edited = nextEvent(app, 'reload', (r) => r.changed.includes('greeters.Base'))
    fs.writeFileSync(`${base}/greeters/Base/Base.json`, JSON.stringify({ greeting: 'Base howdy' }))
    await edited
    expect(app.getElement('greeters.Base').greet('Ann')).toBe('Base howdy, Ann!')
    fs.rmSync(base, { recursive: true })
  })

  it('logs one line per applied reload: what changed and how long it took', async () => {
    const { app, write, logger } = await openWatchedApp()
    const reloaded = nextEvent(app, 'reload')
    write('greeters/English/English.json', { greeting: 'Howdy' })
    await reloaded
    const lines = logger.lines.filter((l) => l.startsWith('info reloaded'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^info reloaded in \d+ ms: changed greeters\.English$/)
  })

  it('files the runtime never reads do not reload the app', async () => {
    const { app, write } = await openWatchedApp()
    const generation = app[kState].definition
    write('data.sqlite', 'not a database')
    write('data.sqlite-wal', 'x')
    write('greeters/English/notes.txt', 'remember to say hi')
    write('greeters/English/English.json~', '{ broken')
    write('greeters/English/.English.json.swp', '{ broken')
    write('greeters/English/4913', '')
    // Absence needs a window: well past the settle time and the missed-write recheck.
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(app[kState].definition).toBe(generation)
  })

  it('a save of the same bytes is no reload event', async () => {
    const watched = await openWatchedApp()
    await fence(watched, 1)
    const before = watched.events.length
    const config = watched.file('greeters/English/English.json')
    watched.write('greeters/English/English.json', fs.readFileSync(config, 'utf8'))
    await fence(watched, 2)
    const between = watched.events.slice(before)
    expect(between.map((e) => e.name)).toEqual(['reload'])
    expect(own(between[0].payload.changed)).toEqual(['greeters.Fence'])
  })

  it('a code edit outside jit dev warns that it needs a restart', async () => {
    const { logger, file } = await openWatchedApp()
    const typeFile = file('greeters/FriendlyType/type.ts')
    fs.appendFileSync(typeFile, '\n// edited\n')
    await eventually(
      () =>
        logger.lines.some(
          (l) => l.startsWith('warn') && l.includes('type.ts changed') && l.includes('restart'),
        ),
      'the restart warning',
    )
  })
})
