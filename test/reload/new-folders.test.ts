import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { kState } from '../../runtime/app-state.ts'
import { closeWatchedApps, nextEvent, openWatchedApp } from './watching.ts'

afterEach(closeWatchedApps)

/** A Type whose Instances keep a count in memory: a rebuild of the app starts it again from zero. */
const tallies = {
  'counters/Meta/e.json': { title: 'Counters', type: '' },
  'counters/TallyType/e.json': { title: 'Tally', type: 'counters.Meta' },
  'counters/TallyType/type.ts': `
import { defineType, z } from 'jitlite'
export default defineType({
  config: z.object({ start: z.number().default(0) }),
  load: ({ config }) => {
    let count = config.start
    return { bump: () => ++count }
  },
})
`,
  'counters/Visits/e.json': { title: 'Visits', type: 'counters.TallyType' },
  'counters/Visits/Visits.json': {},
}

/** Absence needs a window: well past the settle time, the longest wait and the missed-write recheck. */
const quiet = () => new Promise((resolve) => setTimeout(resolve, 600))

describe('new folders under a watched app', () => {
  it('an empty folder, or data/ holding a SQLite database, reloads nothing: Instances keep their state', async () => {
    const { app, file, events } = await openWatchedApp(tallies)
    const visits = app.getElement('counters.Visits')
    expect(visits.bump()).toBe(1)
    const definition = app[kState].definition

    fs.mkdirSync(file('empty'))
    fs.mkdirSync(file('greeters/English/cache'))
    // What the first login of an app with an embedded database does.
    fs.mkdirSync(file('data'))
    const db = new Database(file('data/app.sqlite'))
    db.pragma('journal_mode = WAL')
    db.exec('create table users (id integer primary key, name text)')
    db.prepare('insert into users (name) values (?)').run('Ann')
    db.close()
    await quiet()

    expect(app[kState].definition).toBe(definition)
    expect(events).toEqual([])
    expect(visits.bump()).toBe(2)
  })

  it('an element made in a new empty folder loads once its files arrive', async () => {
    const { app, file, write } = await openWatchedApp(tallies)
    fs.mkdirSync(file('counters/Clicks'))
    await quiet()
    const added = nextEvent(app, 'reload', (r) => r.added.includes('counters.Clicks'))
    write('counters/Clicks/e.json', { title: 'Clicks', type: 'counters.TallyType' })
    write('counters/Clicks/Clicks.json', { start: 10 })
    await added
    expect(app.getElement('counters.Clicks').bump()).toBe(11)
  })

  it('a folder moved in with its element files loads, nested ones too', async () => {
    const { app, dir, file } = await openWatchedApp(tallies)
    const outside = `${dir}-outside`
    fs.mkdirSync(path.join(outside, 'Shared/Likes'), { recursive: true })
    const json = (relative: string, content: object) =>
      fs.writeFileSync(path.join(outside, relative), JSON.stringify(content))
    json('Shared/e.json', { title: 'Shared', type: 'counters.TallyType' })
    json('Shared/config.json', { start: 5 })
    json('Shared/Likes/e.json', { title: 'Likes', type: 'counters.TallyType' })
    json('Shared/Likes/config.json', { start: 7 })
    const added = nextEvent(app, 'reload', (r) =>
      ['counters.Shared', 'counters.Shared.Likes'].every((name) => r.added.includes(name)),
    )
    fs.renameSync(path.join(outside, 'Shared'), file('counters/Shared'))
    fs.rmSync(outside, { recursive: true })
    await added
    expect(app.getElement('counters.Shared').bump()).toBe(6)
    expect(app.getElement('counters.Shared.Likes').bump()).toBe(8)
  })
})

describe('removed folders under a watched app', () => {
  it('an empty folder, or data/ with its SQLite files, removed reloads nothing: Instances keep their state', async () => {
    const { app, file, events } = await openWatchedApp(tallies)
    fs.mkdirSync(file('empty'))
    fs.mkdirSync(file('data'))
    const db = new Database(file('data/app.sqlite'))
    db.exec('create table users (id integer primary key, name text)')
    db.close()
    await quiet()
    const visits = app.getElement('counters.Visits')
    expect(visits.bump()).toBe(1)
    const definition = app[kState].definition

    fs.rmSync(file('empty'), { recursive: true })
    fs.rmSync(file('data'), { recursive: true })
    await quiet()

    expect(app[kState].definition).toBe(definition)
    expect(events).toEqual([])
    expect(visits.bump()).toBe(2)
  })

  it('an element folder removed with its files is gone, and one made again in its place loads', async () => {
    const { app, file, write } = await openWatchedApp(tallies)
    write('counters/Clicks/e.json', { title: 'Clicks', type: 'counters.TallyType' })
    write('counters/Clicks/Clicks.json', { start: 10 })
    await nextEvent(app, 'reload', (r) => r.added.includes('counters.Clicks'))
    const removed = nextEvent(app, 'reload', (r) => r.removed.includes('counters.Clicks'))
    fs.rmSync(file('counters/Clicks'), { recursive: true })
    await removed
    expect(() => app.getElement('counters.Clicks')).toThrow()
    const again = nextEvent(app, 'reload', (r) => r.added.includes('counters.Clicks'))
    write('counters/Clicks/e.json', { title: 'Clicks', type: 'counters.TallyType' })
    write('counters/Clicks/Clicks.json', { start: 20 })
    await again
    expect(app.getElement('counters.Clicks').bump()).toBe(21)
  })
})
