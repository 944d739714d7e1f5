import fs from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import type { JitError } from '../../runtime/errors.ts'
import {
  closeWatchedApps,
  fence,
  nextEvent,
  openWatchedApp,
  own,
  SECRET,
  type WatchedApp,
} from './watching.ts'

afterEach(closeWatchedApps)

const CONFIG = 'greeters/English/English.json'

interface BadEdit {
  name: string
  code: string
  field?: string
  /** Makes the bad edit; may return a promise that settles once the edit is fully made. */
  make(watched: WatchedApp): void | Promise<void>
}

/** An editor's atomic save: the whole new text goes to a temp file, which is renamed over the target. */
function atomicSave(watched: WatchedApp, relative: string, text: string): void {
  const temp = `${watched.file(relative)}.tmp-${process.pid}`
  fs.writeFileSync(temp, text)
  fs.renameSync(temp, watched.file(relative))
}

// docs/security.md#case-16, and the slips around it.
const badEdits: BadEdit[] = [
  {
    name: 'truncated JSON',
    code: 'JIT_CONFIG_MALFORMED',
    make: (w) => w.write(CONFIG, `{ "greeting": "Hiya", "apiKey": "${SECRET}`),
  },
  {
    name: 'a secret written without quotes (the parser would quote the text around it)',
    code: 'JIT_CONFIG_MALFORMED',
    make: (w) => w.write(CONFIG, `{ "greeting": "Hiya", "apiKey": ${SECRET} }`),
  },
  {
    name: 'schema violation',
    code: 'JIT_CONFIG_INVALID',
    field: 'punctuation',
    make: (w) => w.write(CONFIG, { greeting: 'Hiya', punctuation: '?', apiKey: SECRET }),
  },
  {
    name: 'schema violation of the secret field',
    code: 'JIT_CONFIG_INVALID',
    field: 'apiKey',
    make: (w) => w.write(CONFIG, { greeting: 'Hiya', apiKey: [SECRET] }),
  },
  {
    name: 'partial write (the writer has not finished)',
    code: 'JIT_CONFIG_MALFORMED',
    make: (w) => {
      const fd = fs.openSync(w.file(CONFIG), 'w')
      fs.writeSync(fd, `{ "greeting": "Hi`)
      fs.closeSync(fd)
    },
  },
  {
    name: 'atomic rename of a broken file',
    code: 'JIT_CONFIG_MALFORMED',
    make: (w) => atomicSave(w, CONFIG, '{ "greeting": '),
  },
  {
    name: 'deletion of the config file',
    code: 'JIT_CONFIG_DELETED',
    make: (w) => fs.rmSync(w.file(CONFIG)),
  },
  {
    name: 'malformed e.json',
    code: 'JIT_EJSON_MALFORMED',
    make: (w) => w.write('greeters/English/e.json', '{ "title": "English", '),
  },
]

describe('a refused change keeps the last good definition (docs/security.md case 16)', () => {
  for (const bad of badEdits) {
    it(`${bad.name}: requests keep working, the refusal is reported, the next valid write applies once`, async () => {
      const watched = await openWatchedApp()
      const { app, logger, events } = watched
      const english = app.getElement('greeters.English')
      const echo = app.getElement('greeters.English.services.EchoSvc')

      const refused = nextEvent(app, 'error')
      await bad.make(watched)
      const problem = (await refused) as JitError

      expect(problem.code).toBe(bad.code)
      expect(problem.file).toMatch(/greeters\/English\/(English|e)\.json$/)
      if (bad.field) expect(problem.field).toBe(bad.field)
      expect(app.refusedReload?.map((p) => p.code)).toContain(bad.code)
      // The last good definition still serves, through old handles and new lookups.
      expect(english.greet('Ann')).toBe('Hello, Ann!')
      expect(app.getElement('greeters.English').greet('Bob')).toBe('Hello, Bob!')
      expect(echo.whoAmI()).toEqual({ owner: 'greeters.English', greeting: 'Hello' })

      const refusalLine = logger.lines.find((l) => l.startsWith('warn reload refused'))
      expect(refusalLine).toContain(problem.file)
      expect(refusalLine).toContain(bad.code)
      if (bad.field) expect(refusalLine).toContain(`: ${bad.field}: `)

      const before = events.length
      const applied = nextEvent(app, 'reload')
      if (bad.code === 'JIT_EJSON_MALFORMED') {
        watched.write('greeters/English/e.json', { title: 'English', type: 'greeters.FriendlyType' })
      }
      watched.write(CONFIG, { greeting: 'Hiya', apiKey: SECRET })
      const result = await applied
      expect(result.applied).toBe(true)
      expect(own(result.changed)).toEqual(['greeters.English'])
      expect(app.refusedReload).toBeUndefined()
      expect(english.greet('Ann')).toBe('Hiya, Ann!')

      await fence(watched, 1)
      const after = events.slice(before)
      const englishReloads = after.filter(
        (e) => e.name === 'reload' && e.payload.changed.includes('greeters.English'),
      )
      expect(englishReloads).toHaveLength(1)
      expect(after.filter((e) => e.name === 'error')).toEqual([])

      const everything = [
        ...logger.lines,
        ...events.filter((e) => e.name === 'error').map((e) => JSON.stringify(e.payload)),
        ...events.filter((e) => e.name === 'error').map((e) => e.payload.message),
      ].join('\n')
      expect(everything).not.toContain(SECRET)
      expect(everything).not.toContain(SECRET.slice(0, 8))
    })
  }

  it('an atomic save of a valid file applies, twice in a row (the file is a new inode each time)', async () => {
    const watched = await openWatchedApp()
    const english = watched.app.getElement('greeters.English')
    for (const greeting of ['Howdy', 'Hiya']) {
      const applied = nextEvent(watched.app, 'reload')
      atomicSave(watched, CONFIG, JSON.stringify({ greeting }))
      await applied
      expect(english.greet('Ann')).toBe(`${greeting}, Ann!`)
    }
  })

  it('a refusal elsewhere holds back a valid edit made with it: the registry swaps only when whole', async () => {
    const watched = await openWatchedApp({
      'greeters/Welsh/e.json': { title: 'Welsh', type: 'greeters.FriendlyType' },
      'greeters/Welsh/Welsh.json': { greeting: 'Shwmae' },
    })
    const { app } = watched
    const refused = nextEvent(app, 'error')
    watched.write('greeters/Welsh/Welsh.json', { greeting: 'Helo' })
    watched.write(CONFIG, '{ "greeting": ')
    await refused
    expect(app.getElement('greeters.Welsh').greet('Ann')).toBe('Shwmae, Ann!')

    const applied = nextEvent(app, 'reload')
    watched.write(CONFIG, { greeting: 'Hiya' })
    const result = await applied
    expect(own(result.changed)).toEqual(['greeters.English', 'greeters.Welsh'])
    expect(app.getElement('greeters.Welsh').greet('Ann')).toBe('Helo, Ann!')
  })

  it('writing {} after a deletion applies the Type defaults', async () => {
    const watched = await openWatchedApp()
    const refused = nextEvent(watched.app, 'error')
    fs.rmSync(watched.file(CONFIG))
    expect((await refused).message).toContain('write {} to use the Type')
    const applied = nextEvent(watched.app, 'reload')
    watched.write(CONFIG, {})
    await applied
    expect(watched.app.getElement('greeters.English').greet('Ann')).toBe('Hello, Ann!')
  })
})
