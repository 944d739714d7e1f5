import { describe, expect, it } from 'vitest'
import { acceptsAsIs, DATA_TYPE_NAMES, valueSchema } from '../../runtime/db/datatypes.ts'

const SAMPLES: unknown[] = [
  0,
  42,
  -7,
  1.5,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '42',
  '',
  'short',
  'x'.repeat(8),
  'x'.repeat(9),
  '🐱🐱🐱🐱🐱🐱🐱🐱', // 8 characters, 16 UTF-16 units
  '2024-05-01',
  '2024-05-01T08:00:00Z',
  new Date('2024-05-01T08:00:00Z'),
  new Date(Date.UTC(10_000, 0, 1)),
  new Date(Number.NaN),
  true,
  false,
  1n,
  null,
  undefined,
  {},
  [1, 2],
]

describe('acceptsAsIs', () => {
  it.each(DATA_TYPE_NAMES)(
    'vouches for a %s value only when its schema takes that value unchanged',
    (dataType) => {
      const rules = { dataType, maxLen: 8 }
      const schema = valueSchema(rules)
      const asIs = acceptsAsIs(rules)
      let vouched = 0
      for (const value of SAMPLES) {
        if (!asIs(value)) continue
        vouched++
        const parsed = schema.safeParse(value)
        expect(parsed.success, `${dataType} ${String(value)}`).toBe(true)
        expect(parsed.data).toBe(value)
      }
      // Every datatype but the two that always go through their schema has values it vouches for.
      if (dataType !== 'Date' && dataType !== 'JSON') expect(vouched).toBeGreaterThan(0)
    },
  )
})
