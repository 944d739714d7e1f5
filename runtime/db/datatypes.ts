/**
 * JitAi datatypes as jitlite knows them: their names, the JavaScript value each one holds, and a zod
 * validator that checks and coerces what a caller passes in. How a value is stored is the dialect's
 * business (see `sqlite-columns.ts`), so this file stays the same whatever database sits underneath.
 *
 * Choices worth knowing:
 * - `Numeric` is an IEEE double, the same number JavaScript has. Exact decimal amounts (money) belong
 *   in an `Integer` of minor units (cents, fen): a double cannot hold 0.1 exactly, and decimal text
 *   would break numeric ordering and comparison.
 * - `Datetime` is a JS `Date` (millisecond precision, UTC), years 0 to 9999 so that its stored ISO
 *   8601 form has a fixed width and sorts in time order.
 * - `Date` is a calendar day, `'YYYY-MM-DD'`, kept as a string: a JS Date would drag a time zone in.
 * - `Checkbox` is JitAi's yes/no field, a JS boolean.
 */
import { z } from 'zod'

export const DATA_TYPE_NAMES = [
  'AutoInt',
  'Integer',
  'Numeric',
  'Stext',
  'Ltext',
  'Datetime',
  'Date',
  'Checkbox',
  'JSON',
] as const

export type DataTypeName = (typeof DATA_TYPE_NAMES)[number]

/** The JavaScript value a field of each datatype holds in a row. */
export interface DataTypeValues {
  AutoInt: number
  Integer: number
  Numeric: number
  Stext: string
  Ltext: string
  Datetime: Date
  Date: string
  Checkbox: boolean
  JSON: unknown
}

/** Stext's length limit when the field does not give `maxLen`; JitAi's single-line text default. */
export const STEXT_DEFAULT_MAX_LEN = 255

/** The part of a field declaration that decides how its values are checked. */
export interface ValueRules {
  dataType: DataTypeName
  maxLen?: number
}

export function isDataTypeName(name: unknown): name is DataTypeName {
  return typeof name === 'string' && (DATA_TYPE_NAMES as readonly string[]).includes(name)
}

const INTEGER_TEXT = /^-?\d{1,16}$/
const NUMBER_TEXT = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/
const CALENDAR_DAY = /^(\d{4})-(\d{2})-(\d{2})$/
const MAX_DATETIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999)
const MIN_DATETIME_MS = Date.UTC(0, 0, 1)

const integerValue = z.union([
  z.number().refine(Number.isSafeInteger),
  z.string().regex(INTEGER_TEXT).transform(Number).refine(Number.isSafeInteger),
])

const numericValue = z.union([
  z.number().refine(Number.isFinite),
  z.string().regex(NUMBER_TEXT).transform(Number).refine(Number.isFinite),
])

const longTextValue = z.string()

function shortTextValue(maxLen: number) {
  // `.length` counts UTF-16 units; only when that exceeds the limit do we pay for counting characters,
  // so an emoji counts as one character, as it does in PostgreSQL's varchar(n).
  return z.string().refine((text) => text.length <= maxLen || [...text].length <= maxLen)
}

const datetimeValue = z
  .union([z.date(), z.string().min(10).max(40), z.number()])
  .transform((input) => (input instanceof Date ? input : new Date(input)))
  .refine((date) => {
    const ms = date.getTime()
    return ms >= MIN_DATETIME_MS && ms <= MAX_DATETIME_MS
  })

const calendarDayValue = z.string().refine((text) => {
  const match = CALENDAR_DAY.exec(text)
  if (!match) return false
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
})

const checkboxValue = z.union([
  z.boolean(),
  z.literal(0).transform(() => false),
  z.literal(1).transform(() => true),
])

const jsonValue = z.unknown().refine((value) => {
  try {
    return JSON.stringify(value) !== undefined
  } catch {
    return false
  }
})

/**
 * The zod schema that checks a non-null value for a field and coerces it to the field's JS value
 * (an integer string to a number, an ISO string to a Date, 0/1 to a boolean).
 *
 * @example
 * valueSchema({ dataType: 'Datetime' }).parse('2024-05-01T08:00:00Z') // Date
 */
export function valueSchema(rules: ValueRules): z.ZodType<unknown> {
  switch (rules.dataType) {
    case 'AutoInt':
    case 'Integer':
      return integerValue
    case 'Numeric':
      return numericValue
    case 'Stext':
      return shortTextValue(rules.maxLen ?? STEXT_DEFAULT_MAX_LEN)
    case 'Ltext':
      return longTextValue
    case 'Datetime':
      return datetimeValue
    case 'Date':
      return calendarDayValue
    case 'Checkbox':
      return checkboxValue
    case 'JSON':
      return jsonValue
  }
}

/**
 * A check for the values `valueSchema` would accept unchanged (a safe integer for an Integer, a string
 * within the length for an Stext, a Date in range for a Datetime, ...): a write's values are nearly
 * always of that kind, and this takes a fraction of a schema parse. Anything it does not vouch for
 * goes through the schema, which coerces or refuses it.
 *
 * @example
 * acceptsAsIs({ dataType: 'Stext', maxLen: 8 })('short') // true
 * acceptsAsIs({ dataType: 'Integer' })('42')             // false: the schema coerces it
 */
export function acceptsAsIs(rules: ValueRules): (value: unknown) => boolean {
  switch (rules.dataType) {
    case 'AutoInt':
    case 'Integer':
      return (value) => Number.isSafeInteger(value)
    case 'Numeric':
      return (value) => Number.isFinite(value)
    case 'Stext': {
      const maxLen = rules.maxLen ?? STEXT_DEFAULT_MAX_LEN
      return (value) => typeof value === 'string' && value.length <= maxLen
    }
    case 'Ltext':
      return (value) => typeof value === 'string'
    case 'Datetime':
      return (value) => {
        if (!(value instanceof Date)) return false
        const ms = value.getTime()
        return ms >= MIN_DATETIME_MS && ms <= MAX_DATETIME_MS
      }
    case 'Checkbox':
      return (value) => typeof value === 'boolean'
    case 'Date':
    case 'JSON':
      return () => false
  }
}

/** What a field accepts, in words, for error messages (never echoes the value itself). */
export function describeAccepted(rules: ValueRules): string {
  switch (rules.dataType) {
    case 'AutoInt':
    case 'Integer':
      return 'a whole number between -(2^53-1) and 2^53-1'
    case 'Numeric':
      return 'a finite number'
    case 'Stext':
      return `text of at most ${rules.maxLen ?? STEXT_DEFAULT_MAX_LEN} characters`
    case 'Ltext':
      return 'text'
    case 'Datetime':
      return 'a Date, an ISO 8601 date-time string or epoch milliseconds, in years 0 to 9999'
    case 'Date':
      return "a calendar day as 'YYYY-MM-DD'"
    case 'Checkbox':
      return 'true or false (or 1 or 0)'
    case 'JSON':
      return 'a value JSON can hold'
  }
}

/** Datatypes whose values `like` can match. */
export function isTextDataType(dataType: DataTypeName): boolean {
  return dataType === 'Stext' || dataType === 'Ltext'
}
