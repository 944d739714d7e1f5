/**
 * The handle a model element gives its users: create, get, query, updateByPK, deleteByPK and upsert,
 * with values checked and converted by datatype on the way in and out.
 *
 * Each call's SQL is compiled once per shape (see `statement-shapes.ts`), so the per-call cost is
 * converting values and running one prepared statement.
 *
 * `createdAt` and `updatedAt`, when declared as Datetime fields (as JitAi models declare them), are
 * kept by the handle: both set on create, `updatedAt` on every update, and an upsert that updates an
 * existing row keeps its `createdAt`. A value given explicitly wins.
 */
import type { Compilable } from 'kysely'
import { JitError } from '../errors.ts'
import type { CompiledRunResult, Database } from './database.ts'
import { translateDatabaseError } from './database-errors.ts'
import { buildCondition, type Condition, type Filter, matchesEverything, planFilter } from './filter.ts'
import type { ModelDefinition } from './model-config.ts'
import { CREATED_AT, isPlainObject, RowCodec, UPDATED_AT } from './row-codec.ts'
import { ShapeCache, type SlotOf } from './statement-shapes.ts'

/** JitAi's order form: `[['createdAt', -1], ['id', 1]]`, -1 for descending. */
export type OrderList<Row> = readonly (readonly [keyof Row & string, 1 | -1])[]

export interface QueryOptions<Row> {
  filter?: Filter<Row>
  orderList?: OrderList<Row>
  /** 1-based. */
  page?: number
  size?: number
}

export interface QueryResultPage<Row> {
  rowDatas: Row[]
  /** Rows matching the filter over all pages. */
  totalCount: number
}

export interface UpsertOptions<Row> {
  /** A unique key of the model (or its primary key) that decides whether the row exists. */
  conflict: readonly (keyof Row & string)[]
  /** Columns to overwrite on an existing row; default: every given column except the key and `createdAt`. */
  update?: readonly (keyof Row & string)[]
}

/** Values for a write: any subset of the row's fields; null clears a field that is not required. */
export type WriteValues<Row> = { [K in keyof Row]?: Row[K] | null }

export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 1000
/** Distinct statement shapes kept per model; the oldest is dropped beyond it. */
const SHAPE_CACHE_SIZE = 200

/**
 * A model's data operations. Get one from `openModel()` (or from `app.getElement()` for a model
 * element); `Row` types the results.
 *
 * @example
 * const users = await openModel<User>(db, config, { defaultTable: 'users' })
 * const user = await users.upsert({ appId: 'wx1', openid: 'o1', nickname: 'Li' }, { conflict: ['appId', 'openid'] })
 * const { rowDatas, totalCount } = await users.query({ filter: { appId: 'wx1' }, orderList: [['createdAt', -1]], page: 1, size: 10 })
 */
export class ModelHandle<Row extends object = Record<string, unknown>> {
  readonly definition: ModelDefinition
  readonly #db: Database
  readonly #label: string
  readonly #rows: RowCodec
  readonly #shapes = new ShapeCache(SHAPE_CACHE_SIZE)
  /** Conflict keys already checked, joined by commas: upserts repeat the same few. */
  readonly #checkedConflictKeys = new Set<string>()

  /** Set while the table is still being brought in line; every statement waits for it. */
  #schemaReady: Promise<unknown> | undefined
  /** Runs the sync again, after one that met a database that could not be used. */
  readonly #resync: (() => Promise<unknown>) | undefined

  /**
   * `label` names the model in error messages (the element's fullName); default: the table.
   * `schemaReady`, when given, is a schema sync still running: statements wait for it, and fail with
   * its error if it fails. `resync`, when given, runs it again at the next call after a sync that failed
   * only because the database could not be used (a server down while a node starts).
   */
  constructor(
    db: Database,
    definition: ModelDefinition,
    options: {
      label?: string
      schemaReady?: Promise<unknown>
      resync?: () => Promise<unknown>
    } = {},
  ) {
    this.#db = db
    this.definition = definition
    this.#label = options.label ?? `model "${definition.table}"`
    this.#resync = options.resync
    if (options.schemaReady) this.#track(options.schemaReady)
    this.#rows = new RowCodec(definition, db.models, this.#label)
  }

  /** The database the rows live in (for what must be kept beside them: a lease on a row's work). */
  get database(): Database {
    return this.#db
  }

  #track(ready: Promise<unknown>): void {
    this.#schemaReady = ready
    // Handled here so that a handle nobody uses never reports an unhandled rejection.
    ready.then(
      () => {
        if (this.#schemaReady === ready) this.#schemaReady = undefined
      },
      () => undefined,
    )
  }

  /** Waits for the sync; one that met an unusable database is tried again (once per call that finds it so). */
  async #schemaSynced(): Promise<void> {
    const ready = this.#schemaReady
    try {
      await ready
    } catch (error) {
      if (!this.#resync || (error as { code?: unknown })?.code !== 'JIT_DB_UNAVAILABLE') throw error
      // Concurrent calls share one retry.
      if (this.#schemaReady === ready) this.#track(this.#resync())
      await this.#schemaReady
    }
  }

  /** Resolves once the table matches the declaration; rejects with the sync's error if it cannot. */
  async ready(): Promise<void> {
    if (this.#schemaReady) await this.#schemaSynced()
  }

  /** Inserts a row and returns it as stored, with its generated primary key. */
  async create(values: WriteValues<Row>): Promise<Row> {
    const row = this.#rows.encodeRow(values, 'create')
    const { columns, params } = row
    this.#rows.stamp(row, [CREATED_AT, UPDATED_AT])
    const table = this.definition.table
    const result = await this.#run(`create|${columns}`, params, (slot) =>
      this.#db.kysely
        .insertInto(table)
        .values(Object.fromEntries(columns.map((column, i) => [column, slot(i)])))
        .returningAll(),
    )
    return this.#rows.decodeRow<Row>(result.rows[0])
  }

  /** The first row matching `filter` (in primary key order), or null. */
  async get(filter: Filter<Row> = {}): Promise<Row | null> {
    const values: unknown[] = []
    const condition = planFilter(filter, values, this.#rows)
    const { table, primaryKey } = this.definition
    const result = await this.#run(`get|${JSON.stringify(condition)}`, values, (slot) =>
      this.#where(this.#db.kysely.selectFrom(table).selectAll(), condition, slot)
        .orderBy(primaryKey.name)
        .limit(1),
    )
    return result.rows.length > 0 ? this.#rows.decodeRow<Row>(result.rows[0]) : null
  }

  /** One page of the rows matching `filter`, and how many match in all. */
  async query(options: QueryOptions<Row> = {}): Promise<QueryResultPage<Row>> {
    const page = options.page ?? 1
    const size = options.size ?? DEFAULT_PAGE_SIZE
    if (!Number.isSafeInteger(page) || page < 1) this.#queryInvalid('"page" is a whole number from 1')
    if (!Number.isSafeInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
      this.#queryInvalid(`"size" is a whole number from 1 to ${MAX_PAGE_SIZE}`)
    }
    const order = this.#planOrder(options.orderList)
    const values: unknown[] = []
    const condition = planFilter(options.filter, values, this.#rows)
    const shape = JSON.stringify(condition)
    const { table } = this.definition

    const counted = await this.#run(`count|${shape}`, values, (slot) =>
      this.#where(this.#db.kysely.selectFrom(table), condition, slot).select((eb) =>
        eb.fn.countAll().as('totalCount'),
      ),
    )
    const totalCount = Number((counted.rows[0] as { totalCount: number | bigint | string }).totalCount)
    if (totalCount <= (page - 1) * size) return { rowDatas: [], totalCount }

    const limitSlot = values.push(size) - 1
    const offsetSlot = values.push((page - 1) * size) - 1
    const listed = await this.#run(`page|${shape}|${JSON.stringify(order)}`, values, (slot) => {
      let builder = this.#where(this.#db.kysely.selectFrom(table).selectAll(), condition, slot)
      for (const [name, direction] of order) builder = builder.orderBy(name, direction)
      return builder.limit(slot(limitSlot) as number).offset(slot(offsetSlot) as number)
    })
    return { rowDatas: listed.rows.map((row) => this.#rows.decodeRow<Row>(row)), totalCount }
  }

  /** Updates the row with this primary key and returns it, or null when there is none. */
  async updateByPK(primaryKey: unknown, values: WriteValues<Row>): Promise<Row | null> {
    const pkName = this.definition.primaryKey.name
    if (isPlainObject(values) && values[pkName as keyof typeof values] !== undefined) {
      this.#rows.valueInvalid(
        `the primary key "${pkName}" cannot be changed by updateByPK; create a new row instead`,
        pkName,
      )
    }
    const row = this.#rows.encodeRow(values, 'update')
    const { columns, params } = row
    this.#rows.stamp(row, [UPDATED_AT])
    const key = this.#rows.encodePrimaryKey(primaryKey)
    if (columns.length === 0) return this.get({ [pkName]: primaryKey } as Filter<Row>)
    const keySlot = params.push(key) - 1
    const table = this.definition.table
    const result = await this.#run(`update|${columns}`, params, (slot) =>
      this.#db.kysely
        .updateTable(table)
        .set(Object.fromEntries(columns.map((column, i) => [column, slot(i)])))
        .where(pkName, '=', slot(keySlot))
        .returningAll(),
    )
    return result.rows.length > 0 ? this.#rows.decodeRow<Row>(result.rows[0]) : null
  }

  /** Deletes the row with this primary key; true when there was one. */
  async deleteByPK(primaryKey: unknown): Promise<boolean> {
    const key = this.#rows.encodePrimaryKey(primaryKey)
    const { table, primaryKey: pk } = this.definition
    const result = await this.#run('delete', [key], (slot) =>
      this.#db.kysely.deleteFrom(table).where(pk.name, '=', slot(0)),
    )
    return Number(result.numAffectedRows ?? 0) > 0
  }

  /**
   * Inserts the row, or updates the existing row with the same `conflict` key, in one
   * `INSERT ... ON CONFLICT (...) DO UPDATE` statement (so concurrent upserts of one key make one row),
   * and returns the row as stored.
   */
  async upsert(values: WriteValues<Row>, options: UpsertOptions<Row>): Promise<Row> {
    const conflict = this.#checkConflictKey(options?.conflict)
    const row = this.#rows.encodeRow(values, 'create')
    const { columns, params } = row
    for (const name of conflict) {
      if (!columns.includes(name))
        this.#rows.valueInvalid(`upsert needs a value for "${name}", part of its conflict key`, name)
    }
    const pkName = this.definition.primaryKey.name
    let update = options.update
      ? this.#checkUpdateList(options.update, columns)
      : columns.filter((name) => !conflict.includes(name) && name !== pkName && name !== CREATED_AT)
    this.#rows.stamp(row, [CREATED_AT, UPDATED_AT])
    if (this.#rows.keeps(UPDATED_AT) && !update.includes(UPDATED_AT)) update = [...update, UPDATED_AT]
    // DO NOTHING would return no row; setting a key column to itself changes nothing and returns it.
    const set = update.length > 0 ? update : [conflict[0]]
    const table = this.definition.table
    const result = await this.#run(`upsert|${columns}|${conflict}|${set}`, params, (slot) =>
      this.#db.kysely
        .insertInto(table)
        .values(Object.fromEntries(columns.map((column, i) => [column, slot(i)])))
        .onConflict((oc) =>
          oc
            .columns([...conflict])
            .doUpdateSet((eb) => Object.fromEntries(set.map((name) => [name, eb.ref(`excluded.${name}`)]))),
        )
        .returningAll(),
    )
    return this.#rows.decodeRow<Row>(result.rows[0])
  }

  #checkConflictKey(conflict: unknown): string[] {
    if (Array.isArray(conflict) && this.#checkedConflictKeys.has(conflict.join(','))) return conflict
    const { uniqueKeys, primaryKey } = this.definition
    if (!Array.isArray(conflict) || conflict.length === 0) {
      throw new JitError(
        'JIT_MODEL_UPSERT_KEY_INVALID',
        `${this.#label}: upsert needs { conflict: [...] }, the fields of a unique key`,
      )
    }
    for (const name of conflict) this.#rows.field(String(name), 'the upsert conflict key')
    const keys = [[primaryKey.name], ...uniqueKeys]
    const wanted = new Set(conflict as string[])
    const matches = keys.some((key) => key.length === wanted.size && key.every((name) => wanted.has(name)))
    if (!matches) {
      const listed = keys.map((key) => `[${key.join(', ')}]`).join(', ')
      throw new JitError(
        'JIT_MODEL_UPSERT_KEY_INVALID',
        `${this.#label}: upsert's conflict key [${conflict.join(', ')}] is not a unique key of the model. ` +
          `Use one of ${listed}, or declare it under "unique" in the model config.`,
      )
    }
    this.#checkedConflictKeys.add(conflict.join(','))
    return conflict as string[]
  }

  #checkUpdateList(update: readonly string[], columns: readonly string[]): string[] {
    if (!Array.isArray(update)) this.#rows.valueInvalid('upsert\'s "update" is a list of field names')
    for (const name of update) {
      this.#rows.field(name, "upsert's update list")
      if (!columns.includes(name))
        this.#rows.valueInvalid(`upsert's update list names "${name}", which the values do not give`, name)
    }
    return [...update]
  }

  #planOrder(orderList: unknown): [string, 'asc' | 'desc'][] {
    const order: [string, 'asc' | 'desc'][] = []
    if (orderList !== undefined && !Array.isArray(orderList))
      this.#queryInvalid('"orderList" is a list like [["createdAt", -1]]')
    for (const entry of (orderList ?? []) as unknown[]) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || (entry[1] !== 1 && entry[1] !== -1)) {
        this.#queryInvalid(
          'each "orderList" entry is [fieldName, 1] (ascending) or [fieldName, -1] (descending)',
        )
      }
      this.#rows.field(entry[0], 'orderList')
      order.push([entry[0], entry[1] === -1 ? 'desc' : 'asc'])
    }
    // Ending with the primary key makes the order total, so pages never repeat or skip a row.
    const pkName = this.definition.primaryKey.name
    if (!order.some(([name]) => name === pkName)) order.push([pkName, 'asc'])
    return order
  }

  #where<B extends { where(fn: (eb: any) => any): B }>(
    builder: B,
    condition: Condition,
    slot: (i: number) => unknown,
  ): B {
    if (matchesEverything(condition)) return builder
    return builder.where((eb) => buildCondition(eb, condition, slot, this.#db.models))
  }

  /** Runs the statement of this shape with `values`, compiling the shape on first use. */
  async #run(
    shapeKey: string,
    values: readonly unknown[],
    build: (slot: SlotOf) => Compilable,
  ): Promise<CompiledRunResult> {
    if (this.#schemaReady) await this.#schemaSynced()
    const { sql, parameters } = this.#shapes.bind(shapeKey, values, build)
    try {
      return await this.#db.runCompiled(sql, parameters)
    } catch (error) {
      throw translateDatabaseError(
        error,
        this.#db.models.readConstraintViolation(error),
        this.#label,
        this.#db.dialect,
      )
    }
  }

  #queryInvalid(message: string): never {
    throw new JitError('JIT_MODEL_QUERY_INVALID', `${this.#label}: ${message}`)
  }
}
