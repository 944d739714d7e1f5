import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import type { JitError } from '../../runtime/errors.ts'

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

/** The WeChat-user-like model most tests use. */
export const userFields = [
  { name: 'id', title: 'ID', dataType: 'AutoInt', primaryKey: true },
  { name: 'appId', dataType: 'Stext', maxLen: 32, required: true },
  { name: 'openid', dataType: 'Stext', maxLen: 64, required: true },
  { name: 'nickname', dataType: 'Stext', maxLen: 64 },
  { name: 'sex', dataType: 'Numeric' },
  { name: 'createdAt', dataType: 'Datetime' },
  { name: 'updatedAt', dataType: 'Datetime' },
]
export const userConfig = { table: 'users', fields: userFields, unique: [['appId', 'openid']] }

export interface User {
  id: number
  appId: string
  openid: string
  nickname: string | null
  sex: number | null
  createdAt: Date
  updatedAt: Date
}

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
