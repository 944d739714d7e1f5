import fs from 'node:fs'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { postgresTypes } from '../../runtime/db/postgres-types.ts'
import { buildServer } from '../../runtime/http/server.ts'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { memoryLogger } from '../../runtime/log.ts'
import { freePort } from '../helpers/free-port.ts'
import { runJit } from '../helpers/jit-process.ts'
import { type FreshDatabase, freshPostgresDatabase } from '../helpers/postgres.ts'
import { type PostgresServer, startPostgres } from '../helpers/postgres-server.ts'
import { appJson, type FileTree, writeTempTree } from '../helpers/temp-app.ts'

/** Trust authentication ignores it; it stands for a real password that must never be shown. */
const PASSWORD = 'pw-Never-Shown-7f3a'

const apps: JitApp[] = []
const dirs: string[] = []
const databases: FreshDatabase[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
  for (const database of databases.splice(0)) await database.drop()
})

/** The URL of a fresh database, with the password written in as an operator would. */
async function databaseUrl(): Promise<string> {
  const fresh = await freshPostgresDatabase()
  databases.push(fresh)
  const url = new URL(fresh.url)
  url.password = PASSWORD
  return url.toString()
}

/** An app moved to PostgreSQL: its own databases/Default is a PostgresType Instance; nothing else changes. */
function notesApp(defaultConfig: object = { url: '${DATABASE_URL}' }): string {
  const tree: FileTree = {
    'app.json': appJson(),
    'databases/Default/e.json': { title: 'Default database', type: 'databases.PostgresType' },
    'databases/Default/Default.json': defaultConfig,
    'models/Note/e.json': { title: 'Notes', type: 'models.NormalType' },
    'models/Note/Note.json': {
      fields: [
        { name: 'id', dataType: 'AutoInt', primaryKey: true },
        { name: 'body', dataType: 'Ltext', required: true },
        { name: 'done', dataType: 'Checkbox', default: false },
        { name: 'createdAt', dataType: 'Datetime' },
      ],
    },
  }
  const dir = writeTempTree(tree, 'jitlite-pg-app-')
  dirs.push(dir)
  return dir
}

async function rowsOf(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url, types: postgresTypes })
  await client.connect()
  try {
    return (await client.query(sql)).rows
  } finally {
    await client.end()
  }
}

describe('databases.PostgresType', () => {
  it('moves an app to PostgreSQL by overriding databases.Default: a model reads and writes through it', async () => {
    const url = await databaseUrl()
    const logger = memoryLogger()
    const app = await createApp({ appDir: notesApp(), env: { DATABASE_URL: url }, logger })
    apps.push(app)
    expect(app.problems).toEqual([])
    const notes = app.getElement('models.Note')
    const created = await notes.create({ body: 'hello' })
    expect(created).toMatchObject({ id: 1, body: 'hello', done: false })
    expect(created.createdAt).toBeInstanceOf(Date)
    expect(await notes.query({ filter: { done: false } })).toMatchObject({ totalCount: 1 })

    const database = app.getElement('databases.Default')
    expect(database.dialect).toBe('postgres')
    expect(database.location).toBe(
      `postgres://postgres@127.0.0.1:${new URL(url).port}${new URL(url).pathname}`,
    )
    // The rows are in PostgreSQL, in native columns.
    expect(await rowsOf(url, 'select id, body, done from "Note"')).toEqual([
      { id: 1, body: 'hello', done: false },
    ])
    const types = await rowsOf(
      url,
      `select column_name, data_type from information_schema.columns where table_name = 'Note' order by ordinal_position`,
    )
    expect(types.map((row) => `${row.column_name} ${row.data_type}`)).toEqual([
      'id bigint',
      'body text',
      'done boolean',
      'createdAt timestamp with time zone',
    ])
    // The url is a secret: not in the element listing, not in any log line.
    const listed = JSON.stringify(app.listElements())
    expect(listed).not.toContain(PASSWORD)
    expect(listed).not.toContain(url)
    expect(logger.lines.join('\n')).not.toContain(PASSWORD)
  })

  it('takes host, port, database, user and password instead of a url', async () => {
    const url = new URL(await databaseUrl())
    const app = await createApp({
      appDir: notesApp({
        host: url.hostname,
        port: Number(url.port),
        database: url.pathname.slice(1),
        user: 'postgres',
        password: '${PGPASSWORD}',
        poolSize: 2,
        statementTimeoutMs: 5000,
        prepareStatements: false,
      }),
      env: { PGPASSWORD: PASSWORD },
    })
    apps.push(app)
    expect(app.problems).toEqual([])
    await app.getElement('models.Note').create({ body: 'by fields' })
    expect(await rowsOf(url.toString(), 'select body from "Note"')).toEqual([{ body: 'by fields' }])
    // Behind a pooler that cannot keep them: no statement stays prepared on the connections.
    const prepared = await app
      .getElement('databases.Default')
      .runCompiled('select count(*) as n from pg_prepared_statements', [])
    expect(prepared.rows).toEqual([{ n: 0 }])
  })

  it('refuses a config with neither url nor host, saying what to give', async () => {
    const app = await createApp({ appDir: notesApp({ poolSize: 3 }), env: {} })
    apps.push(app)
    const problem = app.problems.find((p) => p.element === 'databases.Default')
    expect(problem).toMatchObject({ code: 'JIT_CONFIG_INVALID', field: 'url' })
    expect(problem?.message).toContain('give "url"')
  })

  it('jit check connects once: ok on a reachable database, and changes no table', async () => {
    const url = await databaseUrl()
    const check = await runJit(['check', notesApp()], { env: { ...process.env, DATABASE_URL: url } })
    expect(check.stdout).toMatch(/no problems/)
    expect(check.code).toBe(0)
    // A dry run: the model's table was worked out and rolled back.
    expect(await rowsOf(url, `select count(*) as n from pg_tables where tablename = 'Note'`)).toEqual([
      { n: 0 },
    ])
  })

  it('jit check reports an unreachable database with JIT_DB_UNREACHABLE, never the password', async () => {
    const port = await freePort()
    const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/shop`
    const dir = notesApp()
    const check = await runJit(['check', '.'], { cwd: dir, env: { ...process.env, DATABASE_URL: url } })
    expect(check.code).toBe(1)
    expect(check.stdout).toMatch(
      new RegExp(
        `^databases/Default/Default\\.json: could not connect to the PostgreSQL database postgres://postgres@127\\.0\\.0\\.1:${port}/shop: nothing accepts connections at that address.* \\(JIT_DB_UNREACHABLE\\)$`,
        'm',
      ),
    )
    // The model that needs it says so with its own code, at its own file.
    expect(check.stdout).toMatch(
      /^models\/Note\/Note\.json: models\.Note: the database cannot be used: .* \(ECONNREFUSED\).* \(JIT_DB_UNAVAILABLE\)$/m,
    )
    expect(`${check.stdout}${check.stderr}`).not.toContain(PASSWORD)
  })
})

/** An app on databases.PostgresType with a notes model and a service that adds a note over HTTP. */
function notesServiceApp(): string {
  const dir = writeTempTree(
    {
      'app.json': appJson(),
      'databases/Default/e.json': { title: 'Default database', type: 'databases.PostgresType' },
      'databases/Default/Default.json': { url: '${DATABASE_URL}', poolSize: 2 },
      'models/Note/e.json': { title: 'Notes', type: 'models.NormalType' },
      'models/Note/Note.json': {
        fields: [
          { name: 'id', dataType: 'AutoInt', primaryKey: true },
          { name: 'text', dataType: 'Ltext' },
        ],
      },
      'services/NotesSvc/e.json': {
        title: 'Notes',
        type: 'services.NormalType',
        functionList: [{ name: 'add', args: [{ name: 'text', dataType: 'Stext' }], loginRequired: false }],
      },
      'services/NotesSvc/index.ts': `
import { Service } from 'jitlite'
export default class NotesSvc extends Service {
  async add(text: string) {
    return (await this.getElement('models.Note').create({ text })).id
  }
}
`,
    },
    'jitlite-pg-app-',
  )
  dirs.push(dir)
  return dir
}

describe('a server on databases.PostgresType whose PostgreSQL goes away', () => {
  let server: PostgresServer
  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(() => server?.stop())

  /** A new database on this test's own server (which the test stops and starts). */
  async function databaseOnServer(): Promise<string> {
    const name = `jit_${databases.length}_${Date.now()}`
    const admin = new pg.Client({ connectionString: server.url })
    await admin.connect()
    try {
      await admin.query(`create database "${name}"`)
    } finally {
      await admin.end()
    }
    const url = new URL(server.url)
    url.pathname = `/${name}`
    return url.toString()
  }

  it('a node that starts while its PostgreSQL is down starts anyway, answers 503, and syncs its tables once it is back', async () => {
    const url = await databaseOnServer()
    server.crash()
    const logger = memoryLogger()
    const app = await createApp({ appDir: notesServiceApp(), env: { DATABASE_URL: url }, logger })
    apps.push(app)
    // Not a problem of the app's elements: nothing is broken, the database is away for now.
    expect(app.problems).toEqual([])
    expect(logger.lines.join('\n')).toContain('models.Note: the database cannot be used')
    const http = await buildServer(app)
    try {
      const add = (text: string) =>
        http.inject({ method: 'POST', url: '/api/tests/testapp/services/NotesSvc/add', payload: { text } })
      const down = await add('during')
      expect(down.statusCode).toBe(503)
      expect(down.json()).toMatchObject({ code: 'JIT_DB_UNAVAILABLE' })

      server.start()
      expect((await add('after')).json()).toMatchObject({ errcode: 0, data: 1 })
      expect(await app.getElement('models.Note').query()).toMatchObject({ totalCount: 1 })
    } finally {
      await http.close()
    }
  })

  it('answers 503 JIT_DB_UNAVAILABLE and fails /healthz while it is down, and serves again when it is back', async () => {
    const dir = notesServiceApp()
    const url = (await databaseOnServer()).replace('postgres@', `postgres:${PASSWORD}@`)
    const logger = memoryLogger()
    const app = await createApp({ appDir: dir, env: { DATABASE_URL: url }, logger })
    apps.push(app)
    const http = await buildServer(app)
    try {
      const add = (text: string) =>
        http.inject({ method: 'POST', url: '/api/tests/testapp/services/NotesSvc/add', payload: { text } })
      expect((await add('before')).json()).toMatchObject({ errcode: 0, data: 1 })
      expect((await http.inject('/healthz')).statusCode).toBe(200)

      server.crash()
      const down = await add('during')
      expect(down.statusCode).toBe(503)
      expect(down.headers['retry-after']).toBe('30')
      expect(down.json()).toMatchObject({ errcode: 503, code: 'JIT_DB_UNAVAILABLE' })
      const health = await http.inject('/healthz')
      expect(health.statusCode).toBe(503)
      expect(health.json()).toMatchObject({ database: 'failing' })
      expect(`${down.body}${health.body}${logger.lines.join('\n')}`).not.toContain(PASSWORD)

      server.start()
      expect((await add('after')).json()).toMatchObject({ errcode: 0 })
      expect((await http.inject('/healthz')).statusCode).toBe(200)
      // What was committed before the crash is still there (the id after it may jump: PostgreSQL logs
      // its sequences ahead, so a crash skips the values it had logged).
      const notes = await app.getElement('models.Note').query()
      expect(notes.rowDatas.map((row: { text: string }) => row.text).sort()).toEqual(['after', 'before'])
    } finally {
      await http.close()
    }
  })
})
