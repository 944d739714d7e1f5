/**
 * PostgreSQL's side of models: native column types for the JitAi datatypes, storage, introspection
 * from pg_catalog, the schema lock (an advisory lock shared by every node) and constraint errors.
 *
 * Values come back with the JavaScript types SQLite gives (see `postgres-types.ts`), so the codecs
 * mostly pass values through: the driver turns a Date into timestamptz input and back.
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
import { takeSchemaLock } from './schema-lock.ts'

const passThrough: StorageCodec = { toStorage: (value) => value, fromStorage: (stored) => stored }

const CODECS: Record<DataTypeName, StorageCodec> = {
  AutoInt: passThrough,
  Integer: passThrough,
  Numeric: passThrough,
  Stext: passThrough,
  Ltext: passThrough,
  Date: passThrough,
  Datetime: passThrough,
  Checkbox: passThrough,
  // As text: pg would send a JS array as a PostgreSQL array literal, not as JSON.
  JSON: { toStorage: (value) => JSON.stringify(value), fromStorage: (stored) => stored },
}

/** Column types (as `format_type` prints them, without a length) and the datatypes each can hold. */
const FAMILY_DATATYPES: Record<string, readonly DataTypeName[]> = {
  bigint: ['AutoInt', 'Integer'],
  integer: ['AutoInt', 'Integer'],
  smallint: ['AutoInt', 'Integer'],
  'character varying': ['Stext', 'Ltext'],
  text: ['Stext', 'Ltext'],
  'double precision': ['Numeric'],
  real: ['Numeric'],
  numeric: ['Numeric'],
  'timestamp with time zone': ['Datetime'],
  date: ['Date'],
  boolean: ['Checkbox'],
  jsonb: ['JSON'],
  json: ['JSON'],
}

function columnType(field: FieldDefinition): ColumnDataType {
  switch (field.dataType) {
    // bigint: JitAi integers are any safe integer, as in SQLite; read back as numbers.
    case 'AutoInt':
    case 'Integer':
      return 'bigint'
    case 'Numeric':
      return 'double precision'
    case 'Stext':
      return `varchar(${field.maxLen ?? STEXT_DEFAULT_MAX_LEN})`
    case 'Ltext':
      return 'text'
    case 'Datetime':
      return 'timestamptz'
    case 'Date':
      return 'date'
    case 'Checkbox':
      return 'boolean'
    case 'JSON':
      return 'jsonb'
  }
}

function familyOf(declaredType: string): string {
  return declaredType.replace(/\(.*\)$/, '').trim()
}

function storesSameType(column: LiveColumn, field: FieldDefinition): boolean {
  return FAMILY_DATATYPES[familyOf(column.declaredType)]?.includes(field.dataType) ?? false
}

/**
 * A `varchar(n)` column shorter than the field now allows: widening it loses nothing (PostgreSQL only
 * changes the catalog), while leaving it would fail writes that the model accepts.
 */
function widerColumnType(column: LiveColumn, field: FieldDefinition): ColumnDataType | undefined {
  const match = /^character varying\((\d+)\)$/.exec(column.declaredType)
  if (!match) return undefined
  if (field.dataType === 'Ltext') return 'text'
  if (field.dataType !== 'Stext') return undefined
  const wanted = field.maxLen ?? STEXT_DEFAULT_MAX_LEN
  return wanted > Number(match[1]) ? `varchar(${wanted})` : undefined
}

interface ColumnRow {
  name: string
  type: string
  not_null: boolean
  pk: boolean
}

interface IndexRow {
  name: string
  unique: boolean
  columns: string[]
}

async function describeTable(db: Kysely<any>, table: string): Promise<LiveTable | null> {
  const info = await sql<ColumnRow>`
    select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
      exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary and a.attnum = any (i.indkey)) as pk
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid
    where c.relname = ${table} and n.nspname = current_schema() and c.relkind in ('r', 'p')
      and a.attnum > 0 and not a.attisdropped
    order by a.attnum`.execute(db)
  if (info.rows.length === 0) return null
  const columns: LiveColumn[] = info.rows.map((row) => ({
    name: row.name,
    declaredType: row.type.toLowerCase(),
    notNull: row.not_null,
    primaryKey: row.pk,
  }))
  const list = await sql<IndexRow>`
    select ic.relname as name, i.indisunique as "unique",
      (select json_agg(a.attname order by k.ord)
         from unnest(i.indkey::int2[]) with ordinality as k (attnum, ord)
         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum) as columns
    from pg_index i
    join pg_class ic on ic.oid = i.indexrelid
    join pg_class c on c.oid = i.indrelid
    join pg_namespace n on n.oid = c.relnamespace
    where c.relname = ${table} and n.nspname = current_schema() and not i.indisprimary
    order by ic.relname`.execute(db)
  const indexes: LiveIndex[] = list.rows.map((row) => ({
    name: row.name,
    unique: row.unique,
    columns: row.columns ?? [],
  }))
  return { columns, indexes }
}

/**
 * pg reports `23505` with a detail `Key ("appId", openid)=(wx1, o1) already exists.`: the names are
 * read from before the `=`, the values never. `23502` names its column.
 */
function readConstraintViolation(error: unknown): ConstraintViolation | null {
  const { code, detail, column } = (error ?? {}) as { code?: unknown; detail?: unknown; column?: unknown }
  if (typeof code !== 'string' || !code.startsWith('23')) return null
  if (code === '23505') {
    const listed = typeof detail === 'string' ? /^Key \((.*?)\)=\(/.exec(detail)?.[1] : undefined
    const columns = (listed ?? '')
      .split(',')
      .map((part) => part.trim().replace(/^"(.*)"$/, '$1'))
      .filter((name) => /^[A-Za-z0-9_]+$/.test(name))
    return { kind: 'unique', columns }
  }
  if (code === '23502')
    return { kind: 'notNull', columns: typeof column === 'string' && column !== '' ? [column] : [] }
  return { kind: 'other', columns: [] }
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
const LOWER = 'abcdefghijklmnopqrstuvwxyz'

/** PostgreSQL's `ModelDialect`, bound to the kysely instance whose pool it locks through. */
export function createPostgresModelDialect(kysely: Kysely<any>): ModelDialect {
  return {
    columnType,
    storesSameType,
    widerColumnType,
    autoIncrement: (column) => column.generatedByDefaultAsIdentity(),
    codec: (dataType) => CODECS[dataType],
    // SQLite's rule, exactly: only ASCII letters fold (translate, not lower(), which follows the
    // server's locale), and ESCAPE '' turns off PostgreSQL's default backslash escape.
    like: (eb, column, pattern) =>
      sql<boolean>`translate(${eb.ref(column)}, ${sql.lit(UPPER)}, ${sql.lit(LOWER)}) like translate(${pattern}, ${sql.lit(UPPER)}, ${sql.lit(LOWER)}) escape ''`,
    describeTable,
    readConstraintViolation,
    withSchemaLock: (fn) =>
      kysely.transaction().execute(async (trx) => {
        // Held to the end of the transaction: a node starting at the same moment waits here, then
        // finds this one's finished tables.
        await takeSchemaLock(trx)
        return fn(trx)
      }),
  }
}
