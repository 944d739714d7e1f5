/** The commit latency histogram of an app's database, on SQLite and on PostgreSQL. */
import { afterEach, describe, expect, it } from 'vitest'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { silentLogger } from '../../runtime/log.ts'
import { freshPostgresDatabase } from '../helpers/postgres.ts'
import { appJson, writeTempTree } from '../helpers/temp-app.ts'

const apps: JitApp[] = []
const drops: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
  for (const drop of drops.splice(0)) await drop()
})

function notesApp(databaseType: string, config: object): string {
  return writeTempTree(
    {
      'app.json': appJson(),
      'databases/Default/e.json': { title: 'Default database', type: databaseType },
      'databases/Default/Default.json': config,
      'models/Note/e.json': { title: 'Notes', type: 'models.NormalType' },
      'models/Note/Note.json': {
        fields: [
          { name: 'id', dataType: 'AutoInt', primaryKey: true },
          { name: 'body', dataType: 'Ltext', required: true },
        ],
      },
    },
    'jitlite-commits-',
  )
}

async function commitCount(app: JitApp): Promise<number> {
  const metric = await app.metrics.registry.getSingleMetric('jit_db_commit_duration_seconds')!.get()
  const count = metric.values.find(
    (v) =>
      (v as { metricName?: string }).metricName === 'jit_db_commit_duration_seconds_count' &&
      v.labels.database === 'databases.Default',
  )
  return count?.value ?? 0
}

describe('jit_db_commit_duration_seconds', () => {
  it.each([
    ['SQLite', async () => notesApp('databases.SqliteType', { file: 'data/app.sqlite' })],
    [
      'PostgreSQL',
      async () => {
        const fresh = await freshPostgresDatabase()
        drops.push(() => fresh.drop())
        return notesApp('databases.PostgresType', { url: fresh.url })
      },
    ],
  ])('counts the commits of %s', async (_name, appDir) => {
    const app = await createApp({ appDir: await appDir(), env: {}, logger: silentLogger })
    apps.push(app)
    expect(app.problems).toEqual([])
    const notes = app.getElement('models.Note')
    await notes.create({ body: 'one' })
    const before = await commitCount(app)
    expect(before).toBeGreaterThan(0)
    // Awaited one by one, each write is a commit of its own.
    for (const body of ['two', 'three', 'four']) await notes.create({ body })
    expect(await commitCount(app)).toBe(before + 3)
  })
})
