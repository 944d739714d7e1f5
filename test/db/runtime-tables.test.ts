/**
 * The runtime's own tables (expiring rows, row-selector keys, leases) on both dialects, each opened by
 * two connections at once as two nodes would: each table made once, keys shared, claims single.
 */
import type { Kysely } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { createExpiringTable, deleteExpiredPrefix, RowSelectors } from '../../runtime/db/expiring-rows.ts'
import { Leases } from '../../runtime/db/leases.ts'
import { cleanupTempDirs, DIALECTS, type Dialect, type TestPlace, testPlace } from './db-helpers.ts'

const places: TestPlace[] = []
const opened: Array<() => Promise<void>> = []

afterEach(async () => {
  for (const close of opened.splice(0)) await close()
  for (const place of places.splice(0)) await place.remove()
  cleanupTempDirs()
})

/** Two connections ("nodes") to one new, empty database of `dialect`, each opened as an app opens it. */
async function twoConnections(dialect: Dialect): Promise<[Kysely<any>, Kysely<any>]> {
  const place = await testPlace(dialect)
  places.push(place)
  const [a, b] = await Promise.all([place.open(), place.open()])
  opened.push(
    () => a.close(),
    () => b.close(),
  )
  return [a.kysely, b.kysely]
}

const sessionsLike = (db: Kysely<any>) =>
  createExpiringTable(db, 'jit_things', (t) => t.addColumn('body', 'text', (c) => c.notNull()))

describe.each(DIALECTS)('on %s', (dialect) => {
  it('two nodes creating the same tables at once make each once, without an error', async () => {
    const [a, b] = await twoConnections(dialect)
    await Promise.all(
      [a, b, a, b].map(async (db) => {
        await sessionsLike(db)
        await RowSelectors.load(db, 'jit_things')
        await Leases.of({ kysely: db }).take('warm-up', { nowMs: 0, forMs: 1 })
      }),
    )
    const tables = (await a.introspection.getTables()).map((table) => table.name).sort()
    expect(tables).toEqual(['jit_leases', 'jit_row_keys', 'jit_things'])
  })

  it('numbers rows itself, reads them back as numbers, and sweeps the expired prefix', async () => {
    const [a, b] = await twoConnections(dialect)
    await sessionsLike(a)
    const insert = (db: Kysely<any>, expires: number) =>
      db
        .insertInto('jit_things')
        .values({ secret_hash: 'h', body: 'x', created_at_ms: 0, expires_at_ms: expires })
        .returning('id')
        .executeTakeFirstOrThrow()
    const ids = []
    for (const [db, expires] of [
      [a, 100],
      [b, 200],
      [a, 900],
      [b, 400],
    ] as const)
      ids.push(Number((await insert(db, expires)).id))
    expect(ids).toEqual([1, 2, 3, 4])
    await deleteExpiredPrefix(b, 'jit_things', 450)
    const left = await a.selectFrom('jit_things').select(['id', 'expires_at_ms']).orderBy('id').execute()
    expect(left.map((row) => [Number(row.id), Number(row.expires_at_ms)])).toEqual([
      [3, 900],
      [4, 400],
    ])
  })

  it('shares one selector key per table: a selector made by one node reads back on the other', async () => {
    const [a, b] = await twoConnections(dialect)
    const [onA, onB] = await Promise.all([
      RowSelectors.load(a, 'jit_things'),
      RowSelectors.load(b, 'jit_things'),
    ])
    expect(onB.rowIdOf(onA.selectorOf(2 ** 40 + 7))).toBe(2 ** 40 + 7)
    const other = await RowSelectors.load(b, 'jit_other')
    expect(other.rowIdOf(onA.selectorOf(5))).toBeUndefined()
  })

  it('gives a lease to one of many takers at once, and to the next one once it ends or expires', async () => {
    const [a, b] = await twoConnections(dialect)
    const takers = Array.from({ length: 10 }, (_, i) => Leases.of({ kysely: i % 2 ? a : b }))
    const taken = await Promise.all(
      takers.map((leases) => leases.take('refresh:u1', { nowMs: 1000, forMs: 500 })),
    )
    const winners = taken.filter((lease) => lease !== undefined)
    expect(winners).toHaveLength(1)
    // Held: refused before its deadline, even to the same node.
    expect(await Leases.of({ kysely: a }).take('refresh:u1', { nowMs: 1499, forMs: 500 })).toBeUndefined()
    // Another name is another lease.
    expect(await Leases.of({ kysely: b }).take('refresh:u2', { nowMs: 1000, forMs: 500 })).toBeDefined()
    await winners[0]!.release()
    const next = await Leases.of({ kysely: b }).take('refresh:u1', { nowMs: 1100, forMs: 500 })
    expect(next).toBeDefined()
    // Its holder vanished without releasing it: past its deadline, it is anyone's.
    expect(await Leases.of({ kysely: a }).take('refresh:u1', { nowMs: 1600, forMs: 500 })).toBeDefined()
    // The first holder's late release does not end the lease it no longer holds.
    await next!.release()
    expect(await Leases.of({ kysely: b }).take('refresh:u1', { nowMs: 1700, forMs: 500 })).toBeUndefined()
  })
})
