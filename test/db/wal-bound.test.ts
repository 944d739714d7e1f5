import { rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Database } from '../../runtime/db/database.ts'
import { openSqliteDatabase } from '../../runtime/db/sqlite.ts'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { silentLogger } from '../../runtime/log.ts'
import { appJson, writeTempTree } from '../helpers/temp-app.ts'
import { cleanupTempDirs, inspect, tempDir } from './db-helpers.ts'

const apps: Array<{ app: JitApp; dir: string }> = []
afterEach(async () => {
  for (const { app, dir } of apps.splice(0)) {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  }
  cleanupTempDirs()
})

const walSize = (file: string) => statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0

/**
 * Writes `commits` commits of 100 rows of 1 KB into a new table t, with no pause between commits (what
 * sustained logins do); resolves with the largest size the WAL reached after a commit.
 */
async function writeWithoutPause(db: Database, file: string, commits: number): Promise<number> {
  await db.runCompiled('create table t (id integer primary key, body text)', [])
  const body = 'x'.repeat(1000)
  let peak = 0
  for (let batch = 0; batch < commits; batch++) {
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        db.runCompiled('insert into t (id, body) values (?, ?)', [batch * 100 + i, body]),
      ),
    )
    peak = Math.max(peak, walSize(file))
  }
  return peak
}

describe('the WAL bound', () => {
  it('keeps the WAL under its limit through sustained writes, and empties it once they stop', async () => {
    const file = join(tempDir(), 'bounded.sqlite')
    const limit = 1024 * 1024
    const db = await openSqliteDatabase({ file, walLimitBytes: limit })
    try {
      // About 16 MB of rows.
      const peak = await writeWithoutPause(db, file, 160)
      // The limit, plus the one commit that may cross it.
      expect(peak).toBeLessThan(2 * limit)
      // Once writes stop, the WAL is emptied into the file.
      await expect.poll(() => walSize(file), { timeout: 30_000, interval: 100 }).toBe(0)
      expect(inspect<{ n: number }>(file, 'select count(*) as n from t')).toEqual([{ n: 16_000 }])
    } finally {
      await db.close()
    }
  })

  it('with the bound off, lets the WAL grow while writes never pause (as SQLite does by itself)', async () => {
    const file = join(tempDir(), 'unbounded.sqlite')
    const db = await openSqliteDatabase({ file, walLimitBytes: 0 })
    try {
      const peak = await writeWithoutPause(db, file, 30)
      // Below the 4 MB at which even the unbounded worker checkpoints: nothing empties it.
      expect(peak).toBeGreaterThan(2 * 1024 * 1024)
    } finally {
      await db.close()
    }
  })

  it("takes its limit from the database element's walLimitMb, and model writes respect it", async () => {
    const dir = writeTempTree(
      {
        'app.json': appJson(),
        'databases/Default/e.json': { title: 'Default database', type: 'databases.SqliteType' },
        'databases/Default/Default.json': { file: 'data/app.sqlite', walLimitMb: 1 },
        'models/Note/e.json': { title: 'Notes', type: 'models.NormalType' },
        'models/Note/Note.json': {
          fields: [
            { name: 'id', dataType: 'AutoInt', primaryKey: true },
            { name: 'body', dataType: 'Ltext', required: true },
          ],
        },
      },
      'jitlite-wal-app-',
    )
    const app = await createApp({ appDir: dir, env: {}, logger: silentLogger })
    apps.push({ app, dir })
    expect(app.problems).toEqual([])
    const notes = app.getElement('models.Note')
    const file = join(dir, 'data/app.sqlite')
    const body = 'y'.repeat(1000)
    let peak = 0
    for (let batch = 0; batch < 100; batch++) {
      await Promise.all(Array.from({ length: 100 }, () => notes.create({ body })))
      peak = Math.max(peak, walSize(file))
    }
    expect(peak).toBeLessThan(2 * 1024 * 1024)
    expect((await notes.query({})).totalCount).toBe(10_000)
  })
})
