import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { openModel } from '../../runtime/db/index.ts'
import { caught, DIALECTS, eachTestPlace } from './db-helpers.ts'

/**
 * Every datatype's values, made up by fast-check, come back from each dialect as the same JS values
 * (numbers, Dates, booleans, parsed JSON), and filters on them find the row.
 */
const everyDatatype = {
  table: 'samples',
  fields: [
    { name: 'id', dataType: 'AutoInt', primaryKey: true },
    { name: 'count', dataType: 'Integer' },
    { name: 'amount', dataType: 'Numeric' },
    { name: 'short', dataType: 'Stext', maxLen: 16 },
    { name: 'long', dataType: 'Ltext' },
    { name: 'at', dataType: 'Datetime' },
    { name: 'day', dataType: 'Date' },
    { name: 'done', dataType: 'Checkbox' },
    { name: 'doc', dataType: 'JSON' },
  ],
}

const text = (maxLength: number) => fc.string({ unit: 'grapheme', maxLength })
const row = fc.record({
  count: fc.maxSafeInteger(),
  // -0 reads back as 0 on both (SQLite stores an integral REAL as an integer; pg sends String(-0)).
  amount: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (n === 0 ? 0 : n)),
  short: text(16).filter((value) => [...value].length <= 16),
  long: text(200),
  at: fc.date({
    min: new Date(Date.UTC(0, 0, 1)),
    max: new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)),
    noInvalidDate: true,
  }),
  day: fc
    .date({ min: new Date(Date.UTC(1, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true })
    .map((date) => date.toISOString().slice(0, 10)),
  done: fc.boolean(),
  doc: fc.jsonValue(),
})

describe.each(DIALECTS)('values on %s', (dialect) => {
  const place = eachTestPlace(dialect)

  it('come back as they were written, for every datatype', async () => {
    const db = await place().open()
    try {
      const samples = await openModel(db, everyDatatype)
      await fc.assert(
        fc.asyncProperty(row, async (values) => {
          const created = await samples.create(values)
          const expected = { ...values, doc: JSON.parse(JSON.stringify(values.doc)) }
          expect(created).toEqual({ id: created.id, ...expected })
          expect(typeof created.id).toBe('number')
          const found = await samples.get({
            id: created.id,
            at: values.at,
            done: values.done,
            day: values.day,
          })
          expect(found).toEqual(created)
        }),
        { numRuns: 150 },
      )
    } finally {
      await db.close()
    }
  })

  it('U+0000 in text: SQLite keeps it, PostgreSQL refuses it as the value’s fault (JIT_MODEL_VALUE_INVALID)', async () => {
    const db = await place().open()
    try {
      const samples = await openModel(db, everyDatatype, { label: 'models.Sample' })
      for (const values of [{ long: 'a\u0000b' }, { doc: { key: 'a\u0000b' } }]) {
        if (dialect === 'sqlite') {
          expect(await samples.create(values)).toMatchObject(values)
        } else {
          const error = await caught(() => samples.create(values))
          expect(error.code).toBe('JIT_MODEL_VALUE_INVALID')
          expect(error.message).toContain('models.Sample: a text or JSON value holds the character U+0000')
        }
      }
    } finally {
      await db.close()
    }
  })
})
