/**
 * How values come back from PostgreSQL, set on our pool only (pg's global `types` may be relied on by
 * another library in the process): the same JavaScript types SQLite gives.
 */
import pg from 'pg'

// Type OIDs, from pg_type.
const INT8 = 20
const NUMERIC = 1700
const DATE = 1082

const parseNumber = (text: string) => Number(text)
const keepText = (text: string) => text

/**
 * - `int8` (bigint ids, `count(*)`, millisecond times) as a number, not a string: values jitlite writes
 *   are safe integers, as in SQLite.
 * - `numeric` (what `sum()` of integers gives) as a number.
 * - `date` as its `'YYYY-MM-DD'` text: pg would make a Date at local midnight, dragging a time zone in.
 * - `timestamptz` stays pg's own Date; `boolean`, `jsonb`, `float8`, `int4` are already right.
 */
export const postgresTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format === undefined || format === 'text') {
      if (oid === INT8 || oid === NUMERIC) return parseNumber
      if (oid === DATE) return keepText
    }
    return pg.types.getTypeParser(oid, format as 'text')
  }) as pg.CustomTypesConfig['getTypeParser'],
}
