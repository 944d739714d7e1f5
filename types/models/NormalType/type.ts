import path from 'node:path'
import { defineType, type ElementInfo, JitError, type PrepareContext } from 'jitlite'
import {
  type Database,
  DEFAULT_DATABASE_ELEMENT,
  type ModelDefinition,
  ModelHandle,
  parseModelConfig,
  syncModelSchema,
} from 'jitlite/db'

/** The business config file the runtime read the model's declaration from. */
function configFileOf(element: ElementInfo): string {
  return element.configFile ?? path.join(element.dir, `${path.basename(element.dir)}.json`)
}

/** JitAi keeps `db` in e.json; the business config may name it too, and wins. */
function withDatabaseName(config: Readonly<Record<string, unknown>>, element: ElementInfo) {
  const fromDefine = (element.define as { db?: unknown }).db
  if (config.db !== undefined || typeof fromDefine !== 'string') return config
  return { ...config, db: fromDefine }
}

/** The last segment of the fullName (`models.User` -> `User`), as JitAi names a model's table. */
function defaultTableOf(element: ElementInfo): string {
  return element.fullName.slice(element.fullName.lastIndexOf('.') + 1)
}

function definitionOf(ctx: PrepareContext<Record<string, unknown>>): ModelDefinition {
  const { element } = ctx
  return parseModelConfig(withDatabaseName(ctx.config, element), {
    defaultTable: defaultTableOf(element),
    where: { file: configFileOf(element), element: element.fullName },
  })
}

function isDatabase(value: unknown): value is Database {
  const candidate = value as Partial<Database> | null
  return typeof candidate?.runCompiled === 'function' && typeof candidate.models === 'object'
}

/** The model's database: the element its `db` names, which must be a `databases.*` Instance. */
function databaseOf(ctx: PrepareContext<Record<string, unknown>>, model: ModelDefinition): Database {
  const where = { file: configFileOf(ctx.element), field: 'db', element: ctx.element.fullName }
  let found: unknown
  try {
    found = ctx.getElement(model.db)
  } catch (error) {
    if (!(error instanceof JitError) || error.code !== 'JIT_ELEMENT_NOT_FOUND' || error.element !== model.db)
      throw error
    const fallback =
      model.db === DEFAULT_DATABASE_ELEMENT ? '' : `, or remove "db" to use ${DEFAULT_DATABASE_ELEMENT}`
    throw new JitError(
      'JIT_DB_NOT_FOUND',
      `${ctx.element.fullName} stores its rows in "${model.db}", which is not an element of this app. ` +
        `Create it (for example databases/${model.db.split('.').pop()}/e.json with "type": "databases.SqliteType")${fallback}.`,
      where,
      { cause: error },
    )
  }
  if (!isDatabase(found)) {
    throw new JitError(
      'JIT_DB_NOT_FOUND',
      `${ctx.element.fullName} names "${model.db}" as its database, but that element is not a database: name a databases.* Instance`,
      where,
    )
  }
  return found
}

/**
 * A model element: one table, declared in its business config (fields with JitAi datatypes, `unique`,
 * `indexes`, optional `table` and `db`). The table is brought in line at start and at each reload
 * (see `syncModelSchema`); `getElement` returns a `ModelHandle`. A model in a Type's folder is
 * reached through each Instance of that Type; the Instances share its table, so such a model keys
 * its rows by the Instance's identity (WechatPublicAuthModel: `appId`).
 *
 * @example
 * // app/models/Note/e.json: { "title": "Notes", "type": "models.NormalType" }
 * // app/models/Note/Note.json: { "fields": [{ "name": "id", "dataType": "AutoInt", "primaryKey": true },
 * //                                          { "name": "body", "dataType": "Ltext" }] }
 * const notes = app.getElement('models.Note')
 * await notes.create({ body: 'hello' })
 */
async function syncAndReport(
  ctx: PrepareContext<Record<string, unknown>>,
  db: Database,
  model: ModelDefinition,
) {
  const where = { file: configFileOf(ctx.element), element: ctx.element.fullName }
  // Under `jit check` the changes are worked out and checked, then rolled back.
  const report = await syncModelSchema(db, model, { where, dryRun: ctx.dryRun })
  const [created, added] = ctx.dryRun ? ['would create', 'would add'] : ['created', 'added']
  if (report.createdTable) ctx.log.info(`${ctx.element.fullName}: ${created} table ${report.table}`)
  if (report.addedColumns.length > 0) {
    ctx.log.info(
      `${ctx.element.fullName}: ${added} columns ${report.addedColumns.join(', ')} to ${report.table}`,
    )
  }
}

/**
 * Configs of models whose sync at start met a database that could not be used (a PostgreSQL server
 * down while the node starts): the node starts anyway, and their handle syncs at first use instead.
 */
const syncDeferred = new WeakSet<object>()

export default defineType<Record<string, unknown>, ModelHandle>({
  // A model that names no "db" stores its rows there: the framework's default is loaded when one is in use.
  uses: [DEFAULT_DATABASE_ELEMENT],
  // At start, at each reload and in `jit check`: a malformed declaration, a missing database or a
  // change that would lose data is reported here, and a reload that brings one in is refused.
  async prepare(ctx) {
    const model = definitionOf(ctx)
    // A Type's child serves the Type's Instances: its table is made when one of them loads it, so an
    // app that has no such Instance needs neither the table nor the database.
    if (ctx.element.scopedTo) return
    try {
      await syncAndReport(ctx, databaseOf(ctx, model), model)
    } catch (error) {
      // `jit check` reports it; a serving node answers 503 until the database is back, then syncs.
      if (ctx.dryRun || !(error instanceof JitError) || error.code !== 'JIT_DB_UNAVAILABLE') throw error
      ctx.log.warn(`${ctx.element.fullName}: ${error.reason} Its table is brought in line at its first use.`)
      syncDeferred.add(ctx.config)
    }
  },
  load(ctx) {
    const model = definitionOf(ctx)
    const db = databaseOf(ctx, model)
    const sync = () => syncAndReport(ctx, db, model)
    if (!ctx.owner) {
      if (!syncDeferred.has(ctx.config)) return new ModelHandle(db, model, { label: ctx.element.fullName })
      return new ModelHandle(db, model, { label: ctx.element.fullName, schemaReady: sync(), resync: sync })
    }
    // Reached through an Instance: sync now, and let the handle's statements wait for it. A Type
    // that wants a failed sync to fail its Instance at start awaits `handle.ready()` in its prepare.
    return new ModelHandle(db, model, {
      label: `${ctx.element.fullName} (of ${ctx.owner.element.fullName})`,
      schemaReady: sync(),
      resync: sync,
    })
  },
})
