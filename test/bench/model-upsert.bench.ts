/**
 * Upserts per second through a ModelHandle against a raw better-sqlite3 prepared statement doing the
 * same work: same table, same `INSERT ... ON CONFLICT (appId, openid) DO UPDATE ... RETURNING *`, same
 * WAL temp file, same mix of new and existing keys. Short rounds alternate, and the figure is the median
 * of each round's model/raw ratio, so that load from other processes on a shared machine hits both
 * sides of a pair alike.
 *
 * The raw statement runs with `.all()`, to completion. `.get()` looks faster but stops the statement
 * after its first row, and SQLite runs its WAL auto-checkpoint only when a statement completes: the WAL
 * then grows without bound. The last table row shows that shortcut and what it costs the file.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { openModel, openSqliteDatabase } from '../../runtime/db/index.ts'

const TARGET_RATIO = 0.7
const ROUNDS = 25
const UPSERTS_PER_ROUND = 2000
const DISTINCT_KEYS = 2000

const dir = mkdtempSync(join(tmpdir(), 'jitlite-bench-upsert-'))
const file = join(dir, 'bench.sqlite')

const db = await openSqliteDatabase({ file })
const users = await openModel(db, {
  table: 'users',
  fields: [
    { name: 'id', dataType: 'AutoInt', primaryKey: true },
    { name: 'appId', dataType: 'Stext', maxLen: 32, required: true },
    { name: 'openid', dataType: 'Stext', maxLen: 64, required: true },
    { name: 'nickname', dataType: 'Stext', maxLen: 64 },
    { name: 'sex', dataType: 'Numeric' },
    { name: 'createdAt', dataType: 'Datetime' },
    { name: 'updatedAt', dataType: 'Datetime' },
  ],
  unique: [['appId', 'openid']],
})

// The raw side: its own connection to the same file, set up as jitlite sets up its own.
const raw = new BetterSqlite3(file, { timeout: 5000 })
raw.pragma('journal_mode = WAL')
raw.pragma('synchronous = NORMAL')
const rawUpsert = raw.prepare(
  'insert into "users" ("appId", "openid", "nickname", "sex", "createdAt", "updatedAt") values (?, ?, ?, ?, ?, ?) ' +
    'on conflict ("appId", "openid") do update set "nickname" = "excluded"."nickname", "sex" = "excluded"."sex", ' +
    '"updatedAt" = "excluded"."updatedAt" returning *',
)

function openidOf(i: number): string {
  return `o${String(i % DISTINCT_KEYS).padStart(27, '0')}`
}

function runRaw(round: number): number {
  const started = performance.now()
  for (let i = 0; i < UPSERTS_PER_ROUND; i++) {
    const now = new Date().toISOString()
    rawUpsert.all('raw', openidOf(i), `nick${round}-${i}`, i % 3, now, now)
  }
  return (UPSERTS_PER_ROUND * 1000) / (performance.now() - started)
}

async function runModel(round: number): Promise<number> {
  const started = performance.now()
  for (let i = 0; i < UPSERTS_PER_ROUND; i++) {
    await users.upsert(
      { appId: 'model', openid: openidOf(i), nickname: `nick${round}-${i}`, sex: i % 3 },
      { conflict: ['appId', 'openid'] },
    )
  }
  return (UPSERTS_PER_ROUND * 1000) / (performance.now() - started)
}

const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) * q)]
const median = (values: number[]) => quantile(values, 0.5)

// Warm-up: JIT, statement caches, first inserts of every key.
runRaw(-1)
await runModel(-1)

const rawRates: number[] = []
const modelRates: number[] = []
for (let round = 0; round < ROUNDS; round++) {
  globalThis.gc?.()
  rawRates.push(runRaw(round))
  globalThis.gc?.()
  modelRates.push(await runModel(round))
}

/** The `.get()` shortcut, on a file of its own so that its unbounded WAL slows nothing else. */
function measureGetShortcut(): { rate: number; walBytes: number } {
  const shortcutFile = join(dir, 'shortcut.sqlite')
  const conn = new BetterSqlite3(shortcutFile, { timeout: 5000 })
  conn.pragma('journal_mode = WAL')
  conn.pragma('synchronous = NORMAL')
  conn.exec(
    'create table "users" ("id" integer primary key autoincrement, "appId" varchar(32) not null, "openid" varchar(64) not null, ' +
      '"nickname" varchar(64), "sex" real, "createdAt" datetime, "updatedAt" datetime)',
  )
  conn.exec('create unique index "jit_uq_users_appId_openid" on "users" ("appId", "openid")')
  const statement = conn.prepare(rawUpsert.source)
  const count = 10_000
  const started = performance.now()
  for (let i = 0; i < count; i++) {
    const now = new Date().toISOString()
    statement.get('raw', openidOf(i), `nick-${i}`, i % 3, now, now)
  }
  const rate = (count * 1000) / (performance.now() - started)
  const walBytes = statSync(`${shortcutFile}-wal`).size
  conn.close()
  return { rate, walBytes }
}

const shortcut = measureGetShortcut()
const rawRate = median(rawRates)
const modelRate = median(modelRates)
const ratios = modelRates.map((rate, i) => rate / rawRates[i])
const ratio = median(ratios)
const rows = (raw.prepare('select count(*) as n from users').get() as { n: number }).n

console.log(
  `${ROUNDS} rounds of ${UPSERTS_PER_ROUND} upserts per side over ${DISTINCT_KEYS} keys, WAL temp file, median of rounds:\n`,
)
console.log('| path | upserts/s |')
console.log('|---|---:|')
console.log(`| raw better-sqlite3 prepared statement | ${Math.round(rawRate).toLocaleString('en-US')} |`)
console.log(`| ModelHandle.upsert | ${Math.round(modelRate).toLocaleString('en-US')} |`)
console.log(
  `| (not comparable) raw \`.get()\`, 10,000 in a row, WAL never checkpointed: ` +
    `${(shortcut.walBytes / 1e6).toFixed(0)} MB afterwards | ${Math.round(shortcut.rate).toLocaleString('en-US')} |`,
)
console.log(
  `\nratio model/raw, median of ${ROUNDS} paired rounds: **${ratio.toFixed(2)}** ` +
    `(quartiles ${quantile(ratios, 0.25).toFixed(2)} to ${quantile(ratios, 0.75).toFixed(2)}; ` +
    `target >= ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})`,
)
console.log(`rows in table: ${rows} (expected ${2 * DISTINCT_KEYS})`)

raw.close()
await db.close()
rmSync(dir, { recursive: true, force: true })
if (rows !== 2 * DISTINCT_KEYS) process.exit(1)
