import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import BetterSqlite3 from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createApp } from '../runtime/index.ts'
import { silentLogger } from '../runtime/log.ts'
import { greeterFamily } from './helpers/greeters.ts'
import { appJson, writeTempTree } from './helpers/temp-app.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const jitBin = path.join(root, 'bin/jit.mjs')

function jit(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const run = spawnSync(process.execPath, [jitBin, ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

describe('jit check', () => {
  it('exits 0 on the demo app', () => {
    const result = jit(['check', 'app'])
    expect(result.stderr).toBe('')
    expect(result.stdout).toMatch(/elements, no problems/)
    expect(result.code).toBe(0)
  })

  it('lists every problem of a broken app as file: field: message (CODE) and exits 1', () => {
    const dir = writeTempTree({
      'app.json': appJson(),
      ...greeterFamily,
      'greeters/Good/e.json': { title: 'Good', type: 'greeters.FriendlyType' },
      'greeters/Typo/e.json': { title: 'Typo', type: 'greeters.FriendlyTyp' },
      'greeters/NoTitle/e.json': { type: 'greeters.FriendlyType' },
      'greeters/Malformed/e.json': '{ "title": "x", ',
      'greeters/BadConfig/e.json': { title: 'Bad config', type: 'greeters.FriendlyType' },
      'greeters/BadConfig/BadConfig.json': { punctuation: '?' },
    })
    const result = jit(['check', '.'], { cwd: dir })
    expect(result.code).toBe(1)
    const lines = result.stdout.trim().split('\n')
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^greeters\/Typo\/e\.json: type: unknown type "greeters\.FriendlyTyp"; did you mean "greeters\.FriendlyType"\? \(JIT_TYPE_UNKNOWN\)$/,
        ),
        expect.stringMatching(/^greeters\/NoTitle\/e\.json: title: .* \(JIT_EJSON_INVALID\)$/),
        expect.stringMatching(
          /^greeters\/Malformed\/e\.json:1:\d+: not valid JSON.* \(JIT_EJSON_MALFORMED\)$/,
        ),
        expect.stringMatching(
          /^greeters\/BadConfig\/BadConfig\.json: punctuation: .* \(JIT_CONFIG_INVALID\)$/,
        ),
        expect.stringMatching(/^4 problems in \d+ elements$/),
      ]),
    )
    expect(result.stdout).not.toContain('greeters/Good')
  })

  /** Every file under `dir`, relative. */
  function filesUnder(dir: string): string[] {
    return fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
      .sort()
  }

  const NOTE_FIELDS = [
    { name: 'id', dataType: 'AutoInt', primaryKey: true },
    { name: 'body', dataType: 'Ltext' },
  ]

  it('creates nothing: no database file, no key file, on a fresh copy of the demo app', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-check-'))
    fs.cpSync(path.join(root, 'app'), dir, {
      recursive: true,
      filter: (source) => !/(?:^|[\\/])(?:data|\.jitlite)(?:[\\/]|$)/.test(path.relative(root, source)),
    })
    const before = filesUnder(dir)
    const result = jit(['check', '.'], { cwd: dir })
    expect(result.stdout).toMatch(/elements, no problems/)
    expect(result.code).toBe(0)
    expect(filesUnder(dir)).toEqual(before)
  })

  it('changes no table: a new field is checked, not added (the app adds it when it runs)', async () => {
    const dir = writeTempTree({
      'app.json': appJson(),
      'databases/Default/e.json': { title: 'Default', type: 'databases.SqliteType' },
      'databases/Default/Default.json': { file: 'data/app.sqlite' },
      'models/Note/e.json': { title: 'Notes', type: 'models.NormalType' },
      'models/Note/Note.json': { fields: NOTE_FIELDS },
    })
    const file = path.join(dir, 'data', 'app.sqlite')
    const columns = () => {
      const db = new BetterSqlite3(file, { readonly: true })
      try {
        return db
          .prepare("select name from pragma_table_info('Note')")
          .all()
          .map((row) => (row as { name: string }).name)
      } finally {
        db.close()
      }
    }
    const run = async () => (await createApp({ appDir: dir, logger: silentLogger })).close()
    await run()
    expect(columns()).toEqual(['id', 'body'])
    fs.writeFileSync(
      path.join(dir, 'models/Note/Note.json'),
      JSON.stringify({ fields: [...NOTE_FIELDS, { name: 'title', dataType: 'Stext' }] }),
    )
    expect(jit(['check', '.'], { cwd: dir }).code).toBe(0)
    expect(columns()).toEqual(['id', 'body'])
    await run()
    expect(columns()).toEqual(['id', 'body', 'title'])
  })

  it('reports a database file that could not be created, as starting would', () => {
    const dir = writeTempTree({
      'app.json': appJson(),
      'databases/Default/e.json': { title: 'Default', type: 'databases.SqliteType' },
      'databases/Default/Default.json': { file: 'blocked/app.sqlite' },
      // A file where the database's folder would have to be.
      blocked: 'not a folder',
    })
    const result = jit(['check', '.'], { cwd: dir })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/JIT_DB_OPEN_FAILED/)
    expect(fs.statSync(path.join(dir, 'blocked')).isFile()).toBe(true)
  })
})

describe('jit elements', () => {
  it('prints the tree with layer, type and source app', () => {
    const dir = writeTempTree({
      'app.json': appJson(),
      ...greeterFamily,
      'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
    })
    const result = jit(['elements', dir])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^greeters$/m)
    expect(result.stdout).toMatch(/^ {2}English +Instance +greeters\.FriendlyType +tests\.testapp$/m)
    expect(result.stdout).toMatch(/^ {2}FriendlyType +Type +greeters\.Meta +tests\.testapp$/m)
    expect(result.stdout).toMatch(/^ {2}NormalType +Type +services\.Meta +jit\.framework$/m)
  })
})

describe('jit run', () => {
  it('runs a script with `app` in scope that calls a user service element', () => {
    const dir = writeTempTree({
      'app.json': appJson(),
      'services/HelloSvc/e.json': {
        title: 'Hello',
        type: 'services.NormalType',
        functionList: [{ name: 'hello', args: [{ name: 'name', dataType: 'Stext' }] }],
      },
      'services/HelloSvc/index.ts': `
import { Service } from 'jitlite'

export default class HelloSvc extends Service {
  hello(name: string) {
    return \`Hello, \${name}! (from \${this.element.fullName})\`
  }
}
`,
      'scripts/hello.ts': `
const svc = app.getElement('services.HelloSvc')
console.log(svc.hello('x'))
`,
    })
    const result = jit(['run', 'scripts/hello.ts', '.'], { cwd: dir })
    expect(result.stderr).toBe('')
    expect(result.stdout.trim()).toBe('Hello, x! (from services.HelloSvc)')
    expect(result.code).toBe(0)
  })

  it('fails with the error code when the script asks for an unknown element', () => {
    const dir = writeTempTree({
      'app.json': appJson(),
      'scripts/oops.ts': `app.getElement('services.Nope')\n`,
    })
    const result = jit(['run', 'scripts/oops.ts', '.'], { cwd: dir })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('JIT_ELEMENT_NOT_FOUND')
  })
})
