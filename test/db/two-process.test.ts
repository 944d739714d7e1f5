import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { openModel, openSqliteDatabase } from '../../runtime/db/index.ts'
import type { JitError } from '../../runtime/errors.ts'
import { cleanupTempDirs, inspect, tempDir, testPlace, userConfig } from './db-helpers.ts'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const writerScript = fileURLToPath(new URL('./fixtures/second-process-writer.ts', import.meta.url))
const KEYS = 150
const HOLD_MS = 400

const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill()
  cleanupTempDirs()
})

/** Starts the writer process; resolves `locked` once it holds its write transaction. */
function startWriter(file: string) {
  const child = spawn(
    process.execPath,
    ['--import', './bin/register.mjs', writerScript, file, String(HOLD_MS), String(KEYS)],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  children.push(child)
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const events = new Map<string, (event: { errors?: string[] }) => void>()
  const waitFor = (name: string) => new Promise<{ errors?: string[] }>((resolve) => events.set(name, resolve))
  const locked = waitFor('locked')
  const done = waitFor('done')
  createInterface({ input: child.stdout }).on('line', (line) => {
    const event = JSON.parse(line)
    events.get(event.event)?.(event)
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { locked, done, exited, stderr: () => stderr }
}

describe('a second process writing the same file', () => {
  it('surfaces no SQLITE_BUSY: writes wait for each other and every upsert lands once', async () => {
    const file = join(tempDir(), 'shared.sqlite')
    const db = await openSqliteDatabase({ file })
    try {
      const users = await openModel(db, userConfig)
      const writer = startWriter(file)
      await writer.locked

      // The writer holds the write lock now: these must wait for it (busy timeout), not fail.
      const errors: string[] = []
      for (let i = 0; i < KEYS; i++) {
        for (const openid of [`shared-${i}`, `parent-${i}`]) {
          try {
            await users.upsert(
              { appId: 'wx1', openid, nickname: 'parent' },
              { conflict: ['appId', 'openid'] },
            )
          } catch (error) {
            errors.push((error as JitError).code)
          }
        }
      }
      const childReport = await writer.done
      expect(await writer.exited, writer.stderr()).toBe(0)
      expect(errors).toEqual([])
      expect(childReport.errors).toEqual([])
    } finally {
      await db.close()
    }
    const counts = inspect<{ prefix: string; n: number }>(
      file,
      "select substr(openid, 1, instr(openid, '-') - 1) as prefix, count(*) as n from users group by prefix order by prefix",
    )
    expect(counts).toEqual([
      { prefix: 'child', n: KEYS + 1 },
      { prefix: 'parent', n: KEYS },
      { prefix: 'shared', n: KEYS },
    ])
  })

  it('without a busy timeout the same overlap does fail, which is what the timeout prevents', async () => {
    const file = join(tempDir(), 'shared.sqlite')
    const db = await openSqliteDatabase({ file, busyTimeoutMs: 0 })
    try {
      const users = await openModel(db, userConfig)
      const writer = startWriter(file)
      await writer.locked
      const error = await users
        .upsert({ appId: 'wx1', openid: 'too-early' }, { conflict: ['appId', 'openid'] })
        .then(
          () => null,
          (e: JitError) => e,
        )
      // Not the query's fault: the database is unavailable for now (an HTTP request answers 503).
      expect(error?.code).toBe('JIT_DB_UNAVAILABLE')
      expect(error?.message).toContain('busy timeout')
      expect((error?.cause as { code?: string } | undefined)?.code).toBe('SQLITE_BUSY')
      expect(db.health?.()).toMatchObject({ status: 'failing', fault: { code: 'SQLITE_BUSY' } })
      await writer.done
      expect(await writer.exited).toBe(0)
    } finally {
      await db.close()
    }
  })
})

describe('a second process writing the same PostgreSQL database', () => {
  it('every upsert of both processes lands once, with no error, while the other holds a transaction', async () => {
    const place = await testPlace('postgres')
    try {
      const db = await place.open()
      try {
        const users = await openModel(db, userConfig)
        const writer = startWriter(place.location)
        await writer.locked
        const errors: string[] = []
        for (let i = 0; i < KEYS; i++) {
          for (const openid of [`shared-${i}`, `parent-${i}`]) {
            try {
              await users.upsert(
                { appId: 'wx1', openid, nickname: 'parent' },
                { conflict: ['appId', 'openid'] },
              )
            } catch (error) {
              errors.push((error as JitError).code)
            }
          }
        }
        const childReport = await writer.done
        expect(await writer.exited, writer.stderr()).toBe(0)
        expect(errors).toEqual([])
        expect(childReport.errors).toEqual([])
      } finally {
        await db.close()
      }
      const counts = await place.rows(
        "select split_part(openid, '-', 1) as prefix, count(*) as n from users group by prefix order by prefix",
      )
      expect(counts).toEqual([
        { prefix: 'child', n: KEYS + 1 },
        { prefix: 'parent', n: KEYS },
        { prefix: 'shared', n: KEYS },
      ])
    } finally {
      await place.remove()
    }
  })
})
