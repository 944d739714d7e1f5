import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { kState } from '../../runtime/app-state.ts'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { memoryLogger, silentLogger } from '../../runtime/log.ts'
import { greeterFamily } from '../helpers/greeters.ts'
import { appJson, writeTempTree, writeTree } from '../helpers/temp-app.ts'

const apps: JitApp[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()))
})

async function open() {
  const dir = writeTempTree({
    'app.json': appJson(),
    ...greeterFamily,
    'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
    'greeters/English/English.json': { greeting: 'Hello' },
  })
  const app = await createApp({ appDir: dir, env: {}, logger: silentLogger })
  apps.push(app)
  return { app, dir }
}

describe('stable handles across a rebuilt registry', () => {
  it('a handle taken before a rebuild sees the new definition on its next call', async () => {
    const { app, dir } = await open()
    const english = app.getElement('greeters.English')
    expect(english.greet('Ann')).toBe('Hello, Ann!')
    writeTree(dir, { 'greeters/English/English.json': { greeting: 'Howdy' } })
    const result = await app.reload()
    expect(result).toMatchObject({ applied: true, changed: ['greeters.English'] })
    expect(english.greet('Ann')).toBe('Howdy, Ann!')
  })

  it('a call in flight finishes on the definition it started on; the old objects are disposed after', async () => {
    const { app, dir } = await open()
    const english = app.getElement('greeters.English')
    const before = app[kState].definition
    const inFlight = english.slowGreet('Ann', 150)
    writeTree(dir, { 'greeters/English/English.json': { greeting: 'Howdy' } })
    await app.reload()
    expect(app[kState].definition).not.toBe(before)
    expect(english.greet('Bob')).toBe('Howdy, Bob!')
    expect(await inFlight).toBe('Hello, Ann!')
  })

  it('an added element is reachable at once; a removed one throws not-found through an old handle', async () => {
    const { app, dir } = await open()
    const english = app.getElement('greeters.English')
    writeTree(dir, {
      'greeters/Welsh/e.json': { title: 'Welsh', type: 'greeters.FriendlyType' },
      'greeters/Welsh/Welsh.json': { greeting: 'Shwmae' },
    })
    fs.rmSync(path.join(dir, 'greeters/English'), { recursive: true })
    const result = await app.reload()
    expect(result).toMatchObject({ applied: true, added: ['greeters.Welsh'], removed: ['greeters.English'] })
    expect(app.getElement('greeters.Welsh').greet('Ann')).toBe('Shwmae, Ann!')
    expect(() => english.greet('Ann')).toThrow(expect.objectContaining({ code: 'JIT_ELEMENT_NOT_FOUND' }))
  })

  it('refuses a rebuild that breaks a working element, keeps the last good one, and applies the next valid write', async () => {
    const dir = writeTempTree({
      'app.json': appJson(),
      ...greeterFamily,
      'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
      'greeters/English/English.json': { greeting: 'Hello' },
    })
    const logger = memoryLogger()
    const app = await createApp({ appDir: dir, env: {}, logger })
    apps.push(app)
    const errors: string[] = []
    app.on('error', (problem) => errors.push(problem.code))
    const english = app.getElement('greeters.English')
    writeTree(dir, { 'greeters/English/English.json': '{ "greeting": ' })
    expect(await app.reload()).toMatchObject({ applied: false })
    expect(english.greet('Ann')).toBe('Hello, Ann!')
    expect(errors).toEqual(['JIT_CONFIG_MALFORMED'])
    expect(app.refusedReload?.[0].code).toBe('JIT_CONFIG_MALFORMED')
    expect(logger.lines.join('\n')).toContain('English.json:1:')
    writeTree(dir, { 'greeters/English/English.json': { greeting: 'Hiya' } })
    expect(await app.reload()).toMatchObject({ applied: true, changed: ['greeters.English'] })
    expect(app.refusedReload).toBeUndefined()
    expect(english.greet('Ann')).toBe('Hiya, Ann!')
  })
})
