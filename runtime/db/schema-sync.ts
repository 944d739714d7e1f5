/**
 * Brings a model's table in line with its declaration on load: creates a missing table, adds new
 * columns (existing rows keep their data), creates and drops jitlite's own indexes. A change that would
 * lose data (a field removed, retyped, or a new primary key) is refused before anything is touched.
 */
import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import { type ErrorLocation, JitError } from '../errors.ts'
import type { Database, LiveTable, ModelDialect } from './database.ts'
import { databaseUnavailable, storageFaultOf } from './database-errors.ts'
import type { FieldDefinition, ModelDefinition } from './model-config.ts'

/** What a sync did, for logs and for hot reload to report. */
export interface SchemaSyncReport {
  readonly table: string
  readonly createdTable: boolean
  readonly addedColumns: readonly string[]
  readonly createdIndexes: readonly string[]
  readonly droppedIndexes: readonly string[]
}

interface WantedIndex {
  name: string
  unique: boolean
  columns: readonly string[]
}

/** Indexes jitlite made carry this prefix; only those are ever dropped. */
const OWN_INDEX_PREFIX = 'jit_'
const MAX_IDENTIFIER_LENGTH = 63

function indexName(table: string, unique: boolean, columns: readonly string[]): string {
  const name = `${OWN_INDEX_PREFIX}${unique ? 'uq' : 'ix'}_${table}_${columns.join('_')}`
  if (name.length <= MAX_IDENTIFIER_LENGTH) return name
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 10)
  return `${name.slice(0, MAX_IDENTIFIER_LENGTH - 11)}_${digest}`
}

function wantedIndexes(model: ModelDefinition): WantedIndex[] {
  return [
    ...model.uniqueKeys.map((columns) => ({
      name: indexName(model.table, true, columns),
      unique: true,
      columns,
    })),
    ...model.indexes.map((columns) => ({
      name: indexName(model.table, false, columns),
      unique: false,
      columns,
    })),
  ]
}

const quote = (name: string) => `"${name}"`

/** Every way the declaration and the live table differ that keeping the data forbids fixing by itself. */
function findDestructiveChanges(model: ModelDefinition, live: LiveTable, dialect: ModelDialect): string[] {
  const declared = new Map(model.fields.map((field) => [field.name, field]))
  const liveNames = new Set(live.columns.map((column) => column.name))
  const problems: string[] = []
  const dropped = live.columns.filter((column) => !declared.has(column.name))
  const added = model.fields.filter((field) => !liveNames.has(field.name))

  for (const column of dropped) {
    const renameHint =
      dropped.length === 1 && added.length === 1
        ? ` If you renamed it to "${added[0].name}", rename the column too: ALTER TABLE ${quote(model.table)} RENAME COLUMN ${quote(column.name)} TO ${quote(added[0].name)};`
        : ''
    problems.push(
      `field "${column.name}" was removed but column ${quote(column.name)} still holds data. Put the field back, or if the data may go: ALTER TABLE ${quote(model.table)} DROP COLUMN ${quote(column.name)};${renameHint}`,
    )
  }
  for (const column of live.columns) {
    const field = declared.get(column.name)
    if (!field || dialect.storesSameType(column, field)) continue
    problems.push(
      `field "${field.name}" is now ${field.dataType} but column ${quote(column.name)} is ${column.declaredType || 'untyped'}. ` +
        `Put the old dataType back, or migrate by hand: ALTER TABLE ${quote(model.table)} RENAME COLUMN ${quote(column.name)} TO ${quote(`${column.name}_old`)}; ` +
        `reload to add the new column, copy the data over with UPDATE, then drop ${quote(`${column.name}_old`)}.`,
    )
  }
  const livePrimaryKey = live.columns.filter((column) => column.primaryKey).map((column) => column.name)
  if (livePrimaryKey.length !== 1 || livePrimaryKey[0] !== model.primaryKey.name) {
    problems.push(
      `the primary key is now "${model.primaryKey.name}" but the table's is ${livePrimaryKey.map(quote).join(', ') || 'the rowid'}. ` +
        'A primary key cannot change in place: put it back, or create a new table (another "table" name) and copy the rows over.',
    )
  }
  return problems
}

async function createTable(db: Kysely<any>, model: ModelDefinition, dialect: ModelDialect): Promise<void> {
  let builder = db.schema.createTable(model.table)
  for (const field of model.fields) {
    builder = builder.addColumn(field.name, dialect.columnType(field), (column) => {
      let col = column
      if (field.primaryKey) col = col.primaryKey()
      if (field.dataType === 'AutoInt') col = dialect.autoIncrement(col)
      // SQLite lets a non-integer primary key hold NULL unless told otherwise.
      if (field.required && field.dataType !== 'AutoInt') col = col.notNull()
      if (field.default !== undefined)
        col = col.defaultTo(dialect.codec(field.dataType).toStorage(field.default))
      return col
    })
  }
  await builder.execute()
}

/**
 * A column added to a table that has rows is NOT NULL only when it has a default to give them;
 * otherwise it is nullable and `required` is enforced on writes.
 */
async function addColumn(
  db: Kysely<any>,
  model: ModelDefinition,
  field: FieldDefinition,
  dialect: ModelDialect,
) {
  await db.schema
    .alterTable(model.table)
    .addColumn(field.name, dialect.columnType(field), (column) => {
      if (field.default === undefined) return column
      const withDefault = column.defaultTo(dialect.codec(field.dataType).toStorage(field.default))
      return field.required ? withDefault.notNull() : withDefault
    })
    .execute()
}

/** Lets a text column hold what its field now allows (a longer maxLen, Stext to Ltext); loses nothing. */
async function widenColumns(db: Kysely<any>, model: ModelDefinition, live: LiveTable, dialect: ModelDialect) {
  if (!dialect.widerColumnType) return
  const declared = new Map(model.fields.map((field) => [field.name, field]))
  for (const column of live.columns) {
    const field = declared.get(column.name)
    const wider = field && dialect.widerColumnType(column, field)
    if (wider)
      await db.schema
        .alterTable(model.table)
        .alterColumn(column.name, (c) => c.setDataType(wider))
        .execute()
  }
}

async function createIndex(
  db: Kysely<any>,
  table: string,
  index: WantedIndex,
  where: ErrorLocation,
): Promise<void> {
  let builder = db.schema
    .createIndex(index.name)
    .on(table)
    .columns([...index.columns])
  if (index.unique) builder = builder.unique()
  try {
    await builder.execute()
  } catch (error) {
    if (!index.unique) throw error
    throw new JitError(
      'JIT_MODEL_SYNC_FAILED',
      `could not make (${index.columns.join(', ')}) unique in table "${table}": existing rows repeat a value. ` +
        'Remove or merge the duplicate rows, then reload.',
      where,
      { cause: error },
    )
  }
}

async function syncUnderLock(
  db: Kysely<any>,
  model: ModelDefinition,
  dialect: ModelDialect,
  where: ErrorLocation,
) {
  const live = await dialect.describeTable(db, model.table)
  const wanted = wantedIndexes(model)
  if (!live) {
    await createTable(db, model, dialect)
    for (const index of wanted) await createIndex(db, model.table, index, where)
    return {
      createdTable: true,
      addedColumns: [],
      createdIndexes: wanted.map((i) => i.name),
      droppedIndexes: [],
    }
  }

  const problems = findDestructiveChanges(model, live, dialect)
  if (problems.length > 0) {
    throw new JitError(
      'JIT_MODEL_DESTRUCTIVE_CHANGE',
      `table "${model.table}" was left as it is, because the change would lose data: ${problems.join(' Also: ')}`,
      where,
    )
  }

  const liveNames = new Set(live.columns.map((column) => column.name))
  const added = model.fields.filter((field) => !liveNames.has(field.name))
  for (const field of added) await addColumn(db, model, field, dialect)
  await widenColumns(db, model, live, dialect)

  const liveIndexNames = new Set(live.indexes.map((index) => index.name))
  const wantedNames = new Set(wanted.map((index) => index.name))
  const missing = wanted.filter((index) => !liveIndexNames.has(index.name))
  const stale = live.indexes.filter(
    (index) => index.name.startsWith(OWN_INDEX_PREFIX) && !wantedNames.has(index.name),
  )
  for (const index of stale) await db.schema.dropIndex(index.name).execute()
  for (const index of missing) await createIndex(db, model.table, index, where)

  return {
    createdTable: false,
    addedColumns: added.map((field) => field.name),
    createdIndexes: missing.map((index) => index.name),
    droppedIndexes: stale.map((index) => index.name),
  }
}

export interface SyncOptions {
  /** Where the model is declared, for the errors (file, element). */
  where?: ErrorLocation
  /** Work out and check every change, then roll it all back: what `jit check` wants. */
  dryRun?: boolean
}

/** Thrown inside the schema lock to roll a dry run back; carries what the run would have done. */
class DryRunFinished {
  constructor(readonly done: Omit<SchemaSyncReport, 'table'>) {}
}

/**
 * Creates or updates the model's table, all or nothing, under the database's schema lock.
 * Throws `JIT_MODEL_DESTRUCTIVE_CHANGE` (nothing changed) when keeping the data forbids the change,
 * and `JIT_MODEL_SYNC_FAILED` when the database refuses a step (a unique key over duplicate rows).
 *
 * @example
 * const report = await syncModelSchema(db, parseModelConfig(config, { defaultTable: 'notes' }))
 * if (report.addedColumns.length) console.log('added', report.addedColumns)
 */
export async function syncModelSchema(
  db: Database,
  model: ModelDefinition,
  options: SyncOptions = {},
): Promise<SchemaSyncReport> {
  const where = options.where ?? {}
  let done: Omit<SchemaSyncReport, 'table'>
  try {
    done = await db.models.withSchemaLock(async (locked) => {
      const result = await syncUnderLock(locked, model, db.models, where)
      if (options.dryRun) throw new DryRunFinished(result)
      return result
    })
  } catch (error) {
    if (!(error instanceof DryRunFinished)) {
      const fault = error instanceof JitError ? undefined : storageFaultOf(error)
      if (fault) throw databaseUnavailable(fault, where.element ?? `table "${model.table}"`, error, where)
      throw error
    }
    done = error.done
  }
  return Object.freeze({ table: model.table, ...done })
}
