/**
 * SQLite's side of models: which column type each datatype gets, how values are stored, how a live
 * table is read back (PRAGMA table-valued functions), the schema lock, and constraint errors.
 *
 * Column types are chosen so that the declared type alone tells which datatype a column holds (a
 * retyped field is then seen, not guessed) while SQLite's affinity never rewrites our values:
 * `varchar(n)`/`text` have TEXT affinity; `datetime`, `date` and `json` have NUMERIC affinity, which
 * leaves ISO 8601 strings and JSON objects alone and turns a bare JSON number into a number (read back
 * as that same number); `boolean` holds 0 or 1.
 */
import { type ColumnDataType, type Kysely, sql } from 'kysely'
import type {
  ConstraintViolation,
  LiveColumn,
  LiveIndex,
  LiveTable,
  ModelDialect,
  StorageCodec,
} from './database.ts'
import { type DataTypeName, STEXT_DEFAULT_MAX_LEN } from './datatypes.ts'
import type { FieldDefinition } from './model-config.ts'

const STORED_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$/

/** Reads the ISO form this codec writes; reading it by hand is several times faster than `new Date(text)`. */
function readStoredDatetime(text: string): Date {
  const m = STORED_DATETIME.exec(text)
  if (!m) return new Date(text)
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7])
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear puts them back.
  const date = new Date(ms)
  if (+m[1] < 100) date.setUTCFullYear(+m[1])
  return date
}

const passThrough: StorageCodec = { toStorage: (value) => value, fromStorage: (stored) => stored }

const CODECS: Record<DataTypeName, StorageCodec> = {
  AutoInt: passThrough,
  Integer: passThrough,
  Numeric: passThrough,
  Stext: passThrough,
  Ltext: passThrough,
  Date: passThrough,
  // ISO 8601 in UTC with milliseconds: fixed width for years 0-9999, so text order is time order.
  Datetime: {
    toStorage: (value) => (value as Date).toISOString(),
    fromStorage: (stored) => readStoredDatetime(stored as string),
  },
  Checkbox: {
    toStorage: (value) => (value ? 1 : 0),
    fromStorage: (stored) => stored !== 0,
  },
  JSON: {
    toStorage: (value) => JSON.stringify(value),
    fromStorage: (stored) => (typeof stored === 'string' ? JSON.parse(stored) : stored),
  },
}

/** Declared type families jitlite creates, and the datatypes each can hold without a migration. */
const FAMILY_DATATYPES: Record<string, readonly DataTypeName[]> = {
  integer: ['AutoInt', 'Integer'],
  varchar: ['Stext', 'Ltext'],
  text: ['Stext', 'Ltext'],
  real: ['Numeric'],
  datetime: ['Datetime'],
  date: ['Date'],
  boolean: ['Checkbox'],
  json: ['JSON'],
}

type Affinity = 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC'

/** For tables made by hand: which SQLite affinities can hold each datatype's stored values. */
const ACCEPTED_AFFINITIES: Record<DataTypeName, readonly Affinity[]> = {
  AutoInt: ['INTEGER', 'NUMERIC'],
  Integer: ['INTEGER', 'NUMERIC'],
  Checkbox: ['INTEGER', 'NUMERIC'],
  Numeric: ['REAL', 'NUMERIC', 'INTEGER'],
  Stext: ['TEXT'],
  Ltext: ['TEXT'],
  Datetime: ['TEXT', 'NUMERIC'],
  Date: ['TEXT', 'NUMERIC'],
  JSON: ['TEXT', 'NUMERIC'],
}

/** SQLite's rules for the affinity of a declared type (section 3.1 of its datatype documentation). */
function affinityOf(declaredType: string): Affinity {
  const type = declaredType.toUpperCase()
  if (type.includes('INT')) return 'INTEGER'
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return 'TEXT'
  if (type === '' || type.includes('BLOB')) return 'BLOB'
  if (type.includes('REAL') || type.includes('FLOA') || type.includes('DOUB')) return 'REAL'
  return 'NUMERIC'
}

function familyOf(declaredType: string): string {
  return declaredType
    .toLowerCase()
    .replace(/\s+/g, '')
    .replace(/\(.*\)$/, '')
}

function columnType(field: FieldDefinition): ColumnDataType {
  switch (field.dataType) {
    case 'AutoInt':
    case 'Integer':
      return 'integer'
    case 'Numeric':
      return 'real'
    case 'Stext':
      return `varchar(${field.maxLen ?? STEXT_DEFAULT_MAX_LEN})`
    case 'Ltext':
      return 'text'
    case 'Datetime':
      return 'datetime'
    case 'Date':
      return 'date'
    case 'Checkbox':
      return 'boolean'
    case 'JSON':
      return 'json'
  }
}

function storesSameType(column: LiveColumn, field: FieldDefinition): boolean {
  const known = FAMILY_DATATYPES[familyOf(column.declaredType)]
  if (known) return known.includes(field.dataType)
  const affinity = affinityOf(column.declaredType)
  // A column declared without a type holds anything as given.
  return affinity === 'BLOB' || ACCEPTED_AFFINITIES[field.dataType].includes(affinity)
}

interface TableInfoRow {
  name: string
  type: string
  notnull: number
  pk: number
}

interface IndexListRow {
  name: string
  unique: number
  origin: string
}

async function describeTable(db: Kysely<any>, table: string): Promise<LiveTable | null> {
  const info =
    await sql<TableInfoRow>`select name, type, "notnull", pk from pragma_table_info(${table})`.execute(db)
  if (info.rows.length === 0) return null
  const columns: LiveColumn[] = info.rows.map((row) => ({
    name: row.name,
    declaredType: row.type.toLowerCase(),
    notNull: row.notnull === 1,
    primaryKey: row.pk > 0,
  }))
  const list =
    await sql<IndexListRow>`select name, "unique", origin from pragma_index_list(${table})`.execute(db)
  const indexes: LiveIndex[] = []
  for (const row of list.rows) {
    if (row.origin === 'pk') continue
    const cols = await sql<{
      name: string
    }>`select name from pragma_index_info(${row.name}) order by seqno`.execute(db)
    indexes.push({ name: row.name, unique: row.unique === 1, columns: cols.rows.map((c) => c.name) })
  }
  return { columns, indexes }
}

/** better-sqlite3 reports `UNIQUE constraint failed: notes.appId, notes.openid`: names, never values. */
function readConstraintViolation(error: unknown): ConstraintViolation | null {
  const code = (error as { code?: unknown })?.code
  if (typeof code !== 'string' || !code.startsWith('SQLITE_CONSTRAINT')) return null
  const message = String((error as Error).message ?? '')
  const listed = message.includes(': ') ? message.slice(message.indexOf(': ') + 2) : ''
  const columns = listed
    .split(',')
    .map((part) => part.trim().split('.').pop() ?? '')
    .filter((name) => /^[A-Za-z0-9_]+$/.test(name))
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
    return { kind: 'unique', columns }
  if (code === 'SQLITE_CONSTRAINT_NOTNULL') return { kind: 'notNull', columns }
  return { kind: 'other', columns: [] }
}

/** SQLite's `ModelDialect`, bound to the kysely instance whose connection it locks. */
export function createSqliteModelDialect(kysely: Kysely<any>): ModelDialect {
  return {
    columnType,
    storesSameType,
    autoIncrement: (column) => column.autoIncrement(),
    codec: (dataType) => CODECS[dataType],
    // SQLite's own LIKE already is the rule: ASCII case folded, no escape character.
    like: (eb, column, pattern) => eb(eb.ref(column), 'like', pattern),
    describeTable,
    readConstraintViolation,
    withSchemaLock: (fn) =>
      kysely.connection().execute(async (connection) => {
        // IMMEDIATE takes the write lock before reading the schema (waiting up to busy_timeout), so a
        // second process syncing at the same moment sees the first one's finished work.
        await sql`begin immediate`.execute(connection)
        try {
          const result = await fn(connection)
          await sql`commit`.execute(connection)
          return result
        } catch (error) {
          // SQLite may have rolled back on its own already (a full disk does); the first error is the one to report.
          await sql`rollback`.execute(connection).catch(() => undefined)
          throw error
        }
      }),
  }
}
