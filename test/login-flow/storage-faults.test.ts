import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { FileTree } from '../helpers/temp-app.ts'
import { API, LOGIN_PATH, type LoginHarness, openLoginHarness } from './harness.ts'

/**
 * Real storage faults under a running server: a full disk (the database on a tiny tmpfs, then filled)
 * and a write the kernel refuses (the WAL file made immutable with chattr, which binds root too; a
 * chmod would not, and tests run as root). Both need root, as CI has.
 */

const notesService: FileTree = {
  'services/NotesSvc/e.json': {
    title: 'Notes',
    type: 'services.NormalType',
    functionList: [{ name: 'add', args: [{ name: 'text', dataType: 'Stext' }], loginRequired: false }],
  },
  'services/NotesSvc/index.ts': `
import { Service } from 'jitlite'
export default class NotesSvc extends Service {
  async add(text: string) {
    const { kysely } = this.getElement('databases.Default')
    await kysely.schema.createTable('notes').ifNotExists().addColumn('text', 'text').execute()
    await kysely.insertInto('notes').values({ text }).execute()
    return text
  }
}
`,
}
const ADD_NOTE = `${API}/services/NotesSvc/add`

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function run(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: 'pipe' })
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '')
    throw new Error(`${command} ${args.join(' ')} failed (${stderr.trim()}): this test needs root, as CI has`)
  }
}

/** A fresh tmpfs of `sizeMb`, unmounted after the test. */
function mountTmpfs(sizeMb: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-tmpfs-'))
  run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir])
  cleanups.push(() => {
    run('umount', [dir])
    fs.rmdirSync(dir)
  })
  return dir
}

/** Fills the filesystem holding `dir` to its last byte; returns the filler to delete. */
function fillDisk(dir: string): string {
  const filler = path.join(dir, 'filler')
  const fd = fs.openSync(filler, 'w')
  const chunk = Buffer.alloc(64 * 1024)
  try {
    for (;;) fs.writeSync(fd, chunk)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
  } finally {
    fs.closeSync(fd)
  }
  // A short tail may fit after the last whole chunk.
  try {
    for (;;) fs.appendFileSync(filler, Buffer.alloc(512))
  } catch {}
  return filler
}

async function openHarness(sqliteFile?: string): Promise<LoginHarness> {
  const harness = await openLoginHarness({ moreFiles: notesService, sqliteFile })
  cleanups.push(() => harness.close())
  return harness
}

async function healthz(harness: LoginHarness) {
  const res = await harness.server.inject('/healthz')
  return { status: res.statusCode, body: res.json(), text: res.body }
}

function addNote(harness: LoginHarness, text: string) {
  return harness.server.inject({ method: 'POST', url: ADD_NOTE, payload: { text } })
}

/** What a user and an operator see while the database cannot be written, and after it recovers. */
async function expectFaultAndRecovery(
  harness: LoginHarness,
  fault: { code: string; start: () => void; clear: () => void; hidden: string[] },
) {
  const browser = harness.browser()
  expect((await browser.login()).response.statusCode).toBe(302)
  expect((await addNote(harness, 'before')).json()).toMatchObject({ errcode: 0, data: 'before' })
  expect(await healthz(harness)).toMatchObject({ status: 200, body: { ok: true, database: 'ok' } })
  // A login started before the fault, to be finished while it lasts.
  const pending = harness.browser()
  const callback = pending.authorize((await pending.startLogin('?redirectUrl=%2Fcart')).authorizeUrl)

  fault.start()

  for (let i = 0; i < 12; i++) {
    const start = await harness.browser().get(LOGIN_PATH)
    expect(start.statusCode).toBe(503)
    expect(start.headers['retry-after']).toBe('30')
    expect(start.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(start.headers['set-cookie']).toBeUndefined()
    expect(start.body).toContain('<h1>Sign-in is unavailable right now</h1>')
    expect(start.body).toContain('cannot save sign-ins')
  }
  const finish = await pending.get(callback)
  expect(finish.statusCode).toBe(503)
  expect(finish.headers['retry-after']).toBe('30')
  expect(finish.body).toContain('<h1>Sign-in is unavailable right now</h1>')

  const note = await addNote(harness, 'during')
  expect(note.statusCode).toBe(503)
  expect(note.headers['retry-after']).toBe('30')
  expect(note.json()).toEqual({
    errcode: 503,
    errmsg: 'the service cannot use its database right now; try again in a moment',
    code: 'JIT_DB_UNAVAILABLE',
  })

  const failing = await healthz(harness)
  expect(failing.status).toBe(503)
  expect(failing.body).toMatchObject({ ok: false, status: 'failing', database: 'failing' })
  expect(failing.body.databaseFault.code).toBe(fault.code)
  expect(Date.parse(failing.body.databaseFault.since)).not.toBeNaN()
  for (const text of [...fault.hidden, harness.database]) expect(failing.text).not.toContain(text)

  // One line for the whole episode, naming the fault and the fix; no line per failed request.
  const faultLines = harness.appLog.lines.filter((line) => line.startsWith('error '))
  expect(faultLines).toHaveLength(1)
  expect(faultLines[0]).toContain(`(${fault.code})`)
  expect(faultLines[0]).toContain('JIT_DB_UNAVAILABLE')
  expect(harness.requestLog.lines.filter((line) => line.startsWith('error '))).toEqual([])

  fault.clear()

  // /healthz finds the recovery by itself: a balancer that took the node out sends it no request.
  expect(await healthz(harness)).toMatchObject({ status: 200, body: { ok: true, database: 'ok' } })
  const recovered = harness.appLog.lines.filter((line) => line.includes('writes succeed again'))
  expect(recovered).toHaveLength(1)
  // The state's claim never committed, so the same callback now finishes the login.
  const again = await pending.get(callback)
  expect(again.statusCode).toBe(302)
  expect(again.headers.location).toBe(`${harness.publicUrl}/cart`)
  expect((await pending.session()).statusCode).toBe(200)
  expect((await harness.browser().login()).response.statusCode).toBe(302)
  expect((await addNote(harness, 'after')).json()).toMatchObject({ errcode: 0, data: 'after' })
  expect(harness.appLog.lines.filter((line) => line.startsWith('error '))).toHaveLength(1)
}

describe('a database that cannot be written: 503 pages and envelopes, one log line, /healthz failing', () => {
  it('a full disk (SQLITE_FULL), then space freed', async () => {
    const mount = mountTmpfs(4)
    const harness = await openHarness(path.join(mount, 'app.sqlite'))
    let filler: string | undefined
    cleanups.push(() => filler && fs.rmSync(filler, { force: true }))
    await expectFaultAndRecovery(harness, {
      code: 'SQLITE_FULL',
      start: () => {
        filler = fillDisk(mount)
      },
      clear: () => fs.rmSync(filler!),
      hidden: [mount],
    })
  })

  it('a WAL file the kernel refuses to write (chattr +i: SQLITE_IOERR), then writable again', async () => {
    const harness = await openHarness()
    const wal = `${harness.database}-wal`
    let immutable = false
    const setImmutable = (on: boolean) => {
      run('chattr', [on ? '+i' : '-i', wal])
      immutable = on
    }
    cleanups.push(() => immutable && setImmutable(false))
    await expectFaultAndRecovery(harness, {
      code: 'SQLITE_IOERR_WRITE',
      start: () => setImmutable(true),
      clear: () => setImmutable(false),
      hidden: [harness.dir],
    })
  })
})
