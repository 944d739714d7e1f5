import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import pg from 'pg'
import { afterEach, beforeEach } from 'vitest'
import type { Database } from '../../runtime/db/database.ts'
import { openPostgresDatabase } from '../../runtime/db/postgres.ts'
import { postgresTypes } from '../../runtime/db/postgres-types.ts'
import { openSqliteDatabase } from '../../runtime/db/sqlite.ts'
import type { JitError } from '../../runtime/errors.ts'
import { freshPostgresDatabase } from '../helpers/postgres.ts'

/** A fresh folder under the OS temp dir; `cleanup()` removes every folder made so far. */
const made: string[] = []
export function tempDir(prefix = 'jitlite-db-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}
export function cleanupTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
}

export { type User, userConfig, userFields } from './user-model.ts'

/** Reads a file with a separate plain connection, as an outside tool would. */
export function inspect<T>(file: string, sql: string, ...params: unknown[]): T[] {
  const conn = new BetterSqlite3(file, { readonly: true })
  try {
    return conn.prepare(sql).all(...params) as T[]
  } finally {
    conn.close()
  }
}

/** Runs `fn` and returns the JitError it throws (failing the test if it throws none). */
export async function caught(fn: () => unknown): Promise<JitError> {
  try {
    await fn()
  } catch (error) {
    return error as JitError
  }
  throw new Error('expected an error, got none')
}

/** The dialects every data test runs on. */
export const DIALECTS = ['sqlite', 'postgres'] as const
export type Dialect = (typeof DIALECTS)[number]

/**
 * Where a test's data lives, on either dialect: a SQLite file in a temp folder, or a fresh database on
 * the test run's PostgreSQL server. `open()` opens a `Database` on it (as an app start would); `rows()`
 * reads it with a separate plain connection, as an outside tool would (write SQL both understand:
 * quote mixed-case names, no parameters).
 */
export interface TestPlace {
  readonly dialect: Dialect
  /** The SQLite file, or the PostgreSQL URL. */
  readonly location: string
  open(): Promise<Database>
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>
  /** Removes the file or drops the database. */
  remove(): Promise<void>
}

export async function testPlace(dialect: Dialect): Promise<TestPlace> {
  if (dialect === 'sqlite') {
    const file = join(tempDir(), 'app.sqlite')
    return {
      dialect,
      location: file,
      open: () => openSqliteDatabase({ file }),
      rows: async <T>(sql: string) => (existsSync(file) ? inspect<T>(file, sql) : []),
      remove: async () => {},
    }
  }
  const fresh = await freshPostgresDatabase()
  return {
    dialect,
    location: fresh.url,
    open: () => openPostgresDatabase({ url: fresh.url, poolSize: 4 }),
    async rows<T>(sql: string) {
      const client = new pg.Client({ connectionString: fresh.url, types: postgresTypes })
      await client.connect()
      try {
        return (await client.query(sql)).rows as T[]
      } finally {
        await client.end()
      }
    },
    remove: () => fresh.drop(),
  }
}

/** `testPlace` for a `describe.each(DIALECTS)` block: a new place before each test, removed after it. */
export function eachTestPlace(dialect: Dialect): () => TestPlace {
  let current: TestPlace | undefined
  beforeEach(async () => {
    current = await testPlace(dialect)
  })
  afterEach(async () => {
    await current?.remove()
    current = undefined
    cleanupTempDirs()
  })
  return () => {
    if (!current) throw new Error('eachTestPlace: used outside a test')
    return current
  }
}
