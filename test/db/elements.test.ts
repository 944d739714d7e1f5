import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { memoryLogger, silentLogger } from '../../runtime/log.ts'
import { appJson, type FileTree, writeTempTree, writeTree } from '../helpers/temp-app.ts'
import { cleanupTempDirs, DIALECTS, eachTestPlace, inspect, type TestPlace, tempDir } from './db-helpers.ts'

const apps: JitApp[] = []
const dirs: string[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
  cleanupTempDirs()
})

const noteFields = [
  { name: 'id', dataType: 'AutoInt', primaryKey: true },
  { name: 'body', dataType: 'Ltext', required: true },
  { name: 'createdAt', dataType: 'Datetime' },
]

const notesApp = (dbFile: string, noteConfig: object = { fields: noteFields }): FileTree => ({
  'app.json': appJson(),
  'databases/Default/e.json': { title: 'Default database', type: 'databases.SqliteType' },
  'databases/Default/Default.json': { file: dbFile },
  'models/Note/e.json': { title: 'Notes', type: 'models.NormalType' },
  'models/Note/Note.json': noteConfig,
})

/** The notes app with no databases/Default of its own: it gets the framework database. */
function notesAppWithoutDatabase(): FileTree {
  const { 'databases/Default/e.json': _e, 'databases/Default/Default.json': _c, ...tree } = notesApp('unused')
  return tree
}

async function start(
  tree: FileTree,
  options: { database?: string; logger?: ReturnType<typeof memoryLogger> } = {},
) {
  const dir = writeTempTree(tree, 'jitlite-db-app-')
  dirs.push(dir)
  const app = await createApp({
    appDir: dir,
    env: {},
    logger: options.logger ?? silentLogger,
    database: options.database,
  })
  apps.push(app)
  return { app, dir }
}

describe('databases.SqliteType and models.NormalType elements', () => {
  it('a model element gets its table in the app database and works through getElement', async () => {
    const logger = memoryLogger()
    const { app, dir } = await start(notesApp('data/notes.sqlite'), { logger })
    expect(app.problems).toEqual([])
    const notes = app.getElement('models.Note')
    const created = await notes.create({ body: 'hello' })
    expect(created).toMatchObject({ id: 1, body: 'hello' })
    expect(created.createdAt).toBeInstanceOf(Date)
    expect(await notes.query({ filter: { body: 'hello' } })).toMatchObject({ totalCount: 1 })

    const file = path.join(dir, 'data/notes.sqlite')
    expect(inspect(file, 'pragma journal_mode')).toEqual([{ journal_mode: 'wal' }])
    expect(inspect(file, 'select body from Note')).toEqual([{ body: 'hello' }])
    expect(app.getElement('databases.Default')).toMatchObject({ dialect: 'sqlite', location: file })
    expect(logger.lines).toContain('info models.Note: created table Note')
  })

  it('puts an unnamed database file under data/ in the app folder', async () => {
    const tree = notesApp('unused')
    tree['databases/Default/Default.json'] = {}
    const { app, dir } = await start(tree)
    await app.getElement('models.Note').create({ body: 'x' })
    expect(
      inspect(path.join(dir, 'data/databases.Default.sqlite'), 'select count(*) as n from Note'),
    ).toEqual([{ n: 1 }])
  })

  it('createApp({ database }) moves databases.Default to another file, or to memory', async () => {
    const elsewhere = path.join(tempDir(), 'elsewhere.sqlite')
    const { app, dir } = await start(notesApp('data/notes.sqlite'), { database: elsewhere })
    await app.getElement('models.Note').create({ body: 'moved' })
    expect(inspect(elsewhere, 'select body from Note')).toEqual([{ body: 'moved' }])
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false)

    const relative = path.join(tempDir(), 'relative.sqlite')
    const fromCwd = await start(notesApp('data/notes.sqlite'), {
      database: path.relative(process.cwd(), relative),
    })
    await fromCwd.app.getElement('models.Note').create({ body: 'cwd' })
    expect(inspect(relative, 'select body from Note')).toEqual([{ body: 'cwd' }])

    const inMemory = await start(notesApp('data/notes.sqlite'), { database: ':memory:' })
    await inMemory.app.getElement('models.Note').create({ body: 'fleeting' })
    expect(await inMemory.app.getElement('models.Note').query()).toMatchObject({ totalCount: 1 })
    expect(fs.existsSync(path.join(inMemory.dir, 'data'))).toBe(false)
  })

  it('an app that declares no database gets the framework one: data/app.sqlite, made on first use', async () => {
    const { app, dir } = await start(notesAppWithoutDatabase())
    expect(app.problems).toEqual([])
    const file = path.join(dir, 'data', 'app.sqlite')
    // The model's table is made at start: its prepare is the database's first use.
    expect(inspect(file, 'select count(*) as n from Note')).toEqual([{ n: 0 }])
    await app.getElement('models.Note').create({ body: 'zero config' })
    expect(inspect(file, 'select body from Note')).toEqual([{ body: 'zero config' }])
    expect(app.getElement('databases.Default')).toMatchObject({ location: file })
    expect(app.listElements().find((e) => e.fullName === 'databases.Default')).toMatchObject({
      app: 'jit.framework',
    })
  })

  it('createApp({ database }) moves the framework database as it moves an app own', async () => {
    const elsewhere = path.join(tempDir(), 'elsewhere.sqlite')
    const { app, dir } = await start(notesAppWithoutDatabase(), { database: elsewhere })
    await app.getElement('models.Note').create({ body: 'moved' })
    expect(inspect(elsewhere, 'select body from Note')).toEqual([{ body: 'moved' }])
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false)
  })

  it('an app own databases/Default overrides the framework one: no data/app.sqlite', async () => {
    const { app, dir } = await start(notesApp('data/notes.sqlite'))
    await app.getElement('models.Note').create({ body: 'mine' })
    expect(fs.readdirSync(path.join(dir, 'data')).filter((f) => f.endsWith('.sqlite'))).toEqual([
      'notes.sqlite',
    ])
    expect(app.listElements().find((e) => e.fullName === 'databases.Default')).toMatchObject({
      app: 'tests.testapp',
      overrides: 'jit.framework',
    })
  })

  it('an app that stores nothing opens no database, and says how to use the framework one directly', async () => {
    const { app, dir } = await start({
      'app.json': appJson(),
      'services/Hello/e.json': { title: 'Hello', type: 'services.NormalType' },
      'services/Hello/index.ts':
        "import { Service } from 'jitlite'\nexport default class Hello extends Service { hi() { return 'hi' } }\n",
    })
    expect(app.problems).toEqual([])
    expect(app.getElement('services.Hello').hi()).toBe('hi')
    expect(() => app.getElement('databases.Default')).toThrow(
      expect.objectContaining({
        code: 'JIT_ELEMENT_NOT_IN_USE',
        message: expect.stringContaining('declare it in the app: databases/Default/e.json'),
      }),
    )
    expect(fs.readdirSync(dir).sort()).toEqual(['app.json', 'services'])
  })

  it('reports a model that names a missing database element with JIT_DB_NOT_FOUND', async () => {
    const { app, dir } = await start(
      notesApp('data/notes.sqlite', { db: 'databases.Archive', fields: noteFields }),
    )
    const problem = app.problems.find((p) => p.element === 'models.Note')
    expect(problem?.code).toBe('JIT_DB_NOT_FOUND')
    expect(problem?.file).toBe(path.join(dir, 'models/Note/Note.json'))
    expect(problem?.field).toBe('db')
    expect(problem?.message).toContain('"databases.Archive"')
    expect(() => app.getElement('models.Note')).toThrow(expect.objectContaining({ code: 'JIT_DB_NOT_FOUND' }))
  })

  it('takes the database name from e.json too, the JitAi way', async () => {
    const tree = notesApp('data/notes.sqlite')
    tree['models/Note/e.json'] = { title: 'Notes', type: 'models.NormalType', db: 'databases.Nowhere' }
    const { app } = await start(tree)
    expect(app.problems.map((p) => p.code)).toEqual(['JIT_DB_NOT_FOUND'])
  })

  it('reports an unknown datatype with its file and field', async () => {
    const { app, dir } = await start(
      notesApp('data/notes.sqlite', { fields: [...noteFields, { name: 'price', dataType: 'Money' }] }),
    )
    expect(app.problems).toHaveLength(1)
    expect(app.problems[0]).toMatchObject({
      code: 'JIT_MODEL_DATATYPE_UNKNOWN',
      file: path.join(dir, 'models/Note/Note.json'),
      field: 'fields.3.dataType',
      element: 'models.Note',
    })
  })
})

const boxItemFields = [
  { name: 'id', dataType: 'AutoInt', primaryKey: true },
  { name: 'box', dataType: 'Stext', maxLen: 32, required: true },
  { name: 'thing', dataType: 'Stext', required: true },
]
/** `eager`: the Type's prepare awaits its model's sync, so a failed sync fails the Instance at start. */
const boxFamily = (dbFile: string, options: { eager?: boolean } = {}): FileTree => ({
  'app.json': appJson(),
  'databases/Default/e.json': { title: 'Default database', type: 'databases.SqliteType' },
  'databases/Default/Default.json': { file: dbFile },
  'boxes/Meta/e.json': { title: 'Boxes', type: '' },
  'boxes/BoxType/e.json': { title: 'Box', type: 'boxes.Meta' },
  'boxes/BoxType/type.ts': `
import { defineType, z } from 'jitlite'

export default defineType({
  config: z.object({ label: z.string() }),
  ${options.eager ? 'prepare: ({ element, getElement }) => getElement(`${element.fullName}.models.BoxItem`).ready(),' : ''}
  load: ({ config, element, getElement }) => {
    const items = () => getElement(\`\${element.fullName}.models.BoxItem\`)
    return {
      put: (thing: string) => items().upsert({ box: config.label, thing }, { conflict: ['box', 'thing'] }),
      list: async () => (await items().query({ filter: { box: config.label }, orderList: [['thing', 1]] })).rowDatas.map((r: { thing: string }) => r.thing),
    }
  },
})
`,
  'boxes/BoxType/models/BoxItem/e.json': { title: 'Box items', type: 'models.NormalType' },
  'boxes/BoxType/models/BoxItem/BoxItem.json': {
    table: 'box_items',
    fields: boxItemFields,
    unique: [['box', 'thing']],
  },
  'boxes/Red/e.json': { title: 'Red box', type: 'boxes.BoxType' },
  'boxes/Red/Red.json': { label: 'red' },
  'boxes/Blue/e.json': { title: 'Blue box', type: 'boxes.BoxType' },
  'boxes/Blue/Blue.json': { label: 'blue' },
})

/** The app's own databases/Default on either dialect, and a plain reader of its rows. */
function defaultDatabase(place: TestPlace): FileTree {
  return place.dialect === 'sqlite'
    ? {
        'databases/Default/e.json': { title: 'Default database', type: 'databases.SqliteType' },
        'databases/Default/Default.json': { file: place.location },
      }
    : {
        'databases/Default/e.json': { title: 'Default database', type: 'databases.PostgresType' },
        'databases/Default/Default.json': { url: '${DATABASE_URL}' },
      }
}

async function startOn(place: TestPlace, tree: FileTree) {
  const dir = writeTempTree({ ...tree, ...defaultDatabase(place) }, 'jitlite-db-app-')
  dirs.push(dir)
  const app = await createApp({ appDir: dir, env: { DATABASE_URL: place.location }, logger: silentLogger })
  apps.push(app)
  return { app, dir }
}

describe.each(DIALECTS)('model elements on %s', (dialect) => {
  const currentPlace = eachTestPlace(dialect)
  const notesTree = (noteConfig: object = { fields: noteFields }): FileTree => ({
    'app.json': appJson(),
    'models/Note/e.json': { title: 'Notes', type: 'models.NormalType' },
    'models/Note/Note.json': noteConfig,
  })

  it('hot reload adds a new field as a column, keeps the rows, and the old handle sees it', async () => {
    const { app, dir } = await startOn(currentPlace(), notesTree())
    const notes = app.getElement('models.Note')
    await notes.create({ body: 'before' })
    writeTree(dir, {
      'models/Note/Note.json': {
        fields: [...noteFields, { name: 'pinned', dataType: 'Checkbox', default: false }],
      },
    })
    expect(await app.reload()).toMatchObject({ applied: true, changed: ['models.Note'] })
    expect(await notes.query()).toMatchObject({
      totalCount: 1,
      rowDatas: [{ body: 'before', pinned: false }],
    })
    expect(await notes.create({ body: 'after', pinned: true })).toMatchObject({ pinned: true })
  })

  it('hot reload refuses a destructive change: the table, the rows and the running model stay', async () => {
    const place = currentPlace()
    const { app, dir } = await startOn(place, notesTree())
    const notes = app.getElement('models.Note')
    await notes.create({ body: 'keep me' })
    writeTree(dir, { 'models/Note/Note.json': { fields: noteFields.filter((f) => f.name !== 'body') } })
    const result = await app.reload()
    expect(result.applied).toBe(false)
    expect(result).toMatchObject({
      problems: [{ code: 'JIT_MODEL_DESTRUCTIVE_CHANGE', element: 'models.Note' }],
    })
    expect(await place.rows('select body from "Note"')).toEqual([{ body: 'keep me' }])
    expect(await notes.create({ body: 'still works' })).toMatchObject({ id: 2 })
  })

  it('a model child of a Type is reached through each Instance, and each Instance keeps to its own rows', async () => {
    const place = currentPlace()
    const { app } = await startOn(place, boxFamily(''))
    expect(app.problems).toEqual([])
    const red = app.getElement('boxes.Red')
    const blue = app.getElement('boxes.Blue')
    await red.put('apple')
    await red.put('apple')
    await blue.put('sky')
    await red.put('cherry')
    expect(await red.list()).toEqual(['apple', 'cherry'])
    expect(await blue.list()).toEqual(['sky'])

    const redItems = app.getElement('boxes.Red.models.BoxItem')
    const blueItems = app.getElement('boxes.Blue.models.BoxItem')
    expect(redItems).not.toBe(blueItems)
    expect(await blueItems.get({ box: 'blue' })).toMatchObject({ thing: 'sky' })
    expect(await redItems.query({ filter: { box: 'red' } })).toMatchObject({ totalCount: 2 })
    expect(await place.rows('select count(*) as n from box_items')).toEqual([{ n: 3 }])
    expect(() => app.getElement('boxes.BoxType.models.BoxItem')).toThrow(
      expect.objectContaining({ code: 'JIT_ELEMENT_NEEDS_INSTANCE' }),
    )
  })

  it('a change to a child model that would lose data fails its first use through an Instance, and leaves the rows', async () => {
    const place = currentPlace()
    const { app, dir } = await startOn(place, boxFamily(''))
    await app.getElement('boxes.Red').put('apple')
    const itemsFile = path.join(dir, 'boxes/BoxType/models/BoxItem/BoxItem.json')
    writeTree(dir, {
      'boxes/BoxType/models/BoxItem/BoxItem.json': {
        table: 'box_items',
        fields: boxItemFields.filter((f) => f.name !== 'thing'),
      },
    })
    const result = await app.reload()
    expect(result.applied).toBe(true)
    const items = app.getElement('boxes.Red.models.BoxItem')
    await expect(items.ready()).rejects.toMatchObject({
      code: 'JIT_MODEL_DESTRUCTIVE_CHANGE',
      file: itemsFile,
    })
    await expect(items.query()).rejects.toMatchObject({ code: 'JIT_MODEL_DESTRUCTIVE_CHANGE' })
    expect(await place.rows('select box, thing from box_items')).toEqual([{ box: 'red', thing: 'apple' }])
  })
})

describe('a model that is a child of a Type', () => {
  it('needs neither its table nor a database in an app with no Instance of its Type', async () => {
    const tree = boxFamily('data/boxes.sqlite')
    for (const name of Object.keys(tree)) {
      if (name.startsWith('databases/') || name.startsWith('boxes/Red/') || name.startsWith('boxes/Blue/'))
        delete tree[name]
    }
    const { app, dir } = await start(tree)
    expect(app.problems).toEqual([])
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false)
  })

  it('a Type that awaits ready() in prepare reports such a change at start, on each Instance', async () => {
    const file = path.join(tempDir(), 'boxes.sqlite')
    const first = await start(boxFamily(file, { eager: true }))
    expect(first.app.problems).toEqual([])
    await first.app.getElement('boxes.Blue').put('sky')
    await first.app.close()

    const changed = boxFamily(file, { eager: true })
    changed['boxes/BoxType/models/BoxItem/BoxItem.json'] = {
      table: 'box_items',
      fields: boxItemFields.map((f) => (f.name === 'thing' ? { ...f, dataType: 'Integer' } : f)),
    }
    const { app } = await start(changed)
    // One problem per Instance; each names the model's declaration, where the fix goes.
    expect(app.problems.map((p) => [p.code, p.element])).toEqual([
      ['JIT_MODEL_DESTRUCTIVE_CHANGE', 'boxes.BoxType.models.BoxItem'],
      ['JIT_MODEL_DESTRUCTIVE_CHANGE', 'boxes.BoxType.models.BoxItem'],
    ])
    expect(() => app.getElement('boxes.Red')).toThrow(
      expect.objectContaining({ code: 'JIT_MODEL_DESTRUCTIVE_CHANGE' }),
    )
    expect(inspect(file, 'select thing from box_items')).toEqual([{ thing: 'sky' }])
  })
})
