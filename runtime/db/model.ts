/**
 * The handle a model element gives its users: create, get, query, updateByPK, deleteByPK and upsert,
 * with values checked and converted by datatype on the way in and out.
 *
 * Each call's SQL depends only on its shape (which columns, which filter operators), so a shape is
 * built with kysely once, compiled with numbered placeholders, and reused with new values: the per-call
 * cost is converting values and running one prepared statement.
 *
 * `createdAt` and `updatedAt`, when declared as Datetime fields (as JitAi models declare them), are
 * kept by the handle: both set on create, `updatedAt` on every update, and an upsert that updates an
 * existing row keeps its `createdAt`. A value given explicitly wins.
 */
import type { Compilable } from 'kysely'
import { JitError } from '../errors.ts'
import type { CompiledRunResult, Database, StorageCodec } from './database.ts'
import { describeAccepted, valueSchema } from './datatypes.ts'
import { buildCondition, type Condition, type Filter, matchesEverything, planFilter } from './filter.ts'
import type { FieldDefinition, ModelDefinition } from './model-config.ts'

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

const CREATED_AT = 'createdAt'
const UPDATED_AT = 'updatedAt'

/** Stands for the value at `index` while a shape is compiled. */
class Slot {
  constructor(readonly index: number) {}
}

interface CompiledShape {
  sql: string
  /** Per SQL parameter: the index of the value it takes, or a constant kysely put there. */
  parameters: readonly (number | { constant: unknown })[]
}

interface FieldCodec {
  field: FieldDefinition
  encode(value: unknown, usedIn: string): unknown
  decode: StorageCodec['fromStorage']
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function didYouMean(name: string, candidates: readonly string[]): string {
  const lower = name.toLowerCase()
  const close = candidates.find((candidate) => candidate.toLowerCase() === lower)
  return close ? `did you mean "${close}"?` : `the fields are ${candidates.join(', ')}`
}

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
  readonly #codecs = new Map<string, FieldCodec>()
  readonly #shapes = new Map<string, CompiledShape>()
  readonly #hasCreatedAt: boolean
  readonly #hasUpdatedAt: boolean
  readonly #storeDatetime: (now: Date) => unknown
  /** Conflict keys already checked, joined by commas: upserts repeat the same few. */
  readonly #checkedConflictKeys = new Set<string>()

  /** Set while the table is still being brought in line; every statement waits for it. */
  #schemaReady: Promise<unknown> | undefined

  /**
   * `label` names the model in error messages (the element's fullName); default: the table.
   * `schemaReady`, when given, is a schema sync still running: statements wait for it, and fail with
   * its error if it fails.
   */
  constructor(
    db: Database,
    definition: ModelDefinition,
    options: { label?: string; schemaReady?: Promise<unknown> } = {},
  ) {
    this.#db = db
    this.definition = definition
    this.#label = options.label ?? `model "${definition.table}"`
    const ready = options.schemaReady
    if (ready) {
      this.#schemaReady = ready
      // Handled here so that a handle nobody uses never reports an unhandled rejection.
      ready.then(
        () => {
          this.#schemaReady = undefined
        },
        () => undefined,
      )
    }
    for (const field of definition.fields) this.#codecs.set(field.name, this.#makeCodec(field))
    const isDatetime = (name: string) => this.#codecs.get(name)?.field.dataType === 'Datetime'
    this.#hasCreatedAt = isDatetime(CREATED_AT)
    this.#hasUpdatedAt = isDatetime(UPDATED_AT)
    this.#storeDatetime = db.models.codec('Datetime').toStorage
  }

  /** Resolves once the table matches the declaration; rejects with the sync's error if it cannot. */
  async ready(): Promise<void> {
    await this.#schemaReady
  }

  /** Inserts a row and returns it as stored, with its generated primary key. */
  async create(values: WriteValues<Row>): Promise<Row> {
    const { columns, params } = this.#encodeRow(values, 'create')
    this.#stamp(columns, params, [CREATED_AT, UPDATED_AT])
    const table = this.definition.table
    const result = await this.#run(`create|${columns}`, params, (slot) =>
      this.#db.kysely
        .insertInto(table)
        .values(Object.fromEntries(columns.map((column, i) => [column, slot(i)])))
        .returningAll(),
    )
    return this.#decodeRow(result.rows[0])
  }

  /** The first row matching `filter` (in primary key order), or null. */
  async get(filter: Filter<Row> = {}): Promise<Row | null> {
    const values: unknown[] = []
    const condition = planFilter(filter, values, this.#filterContext())
    const { table, primaryKey } = this.definition
    const result = await this.#run(`get|${JSON.stringify(condition)}`, values, (slot) =>
      this.#where(this.#db.kysely.selectFrom(table).selectAll(), condition, slot)
        .orderBy(primaryKey.name)
        .limit(1),
    )
    return result.rows.length > 0 ? this.#decodeRow(result.rows[0]) : null
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
    const condition = planFilter(options.filter, values, this.#filterContext())
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
    return { rowDatas: listed.rows.map((row) => this.#decodeRow(row)), totalCount }
  }

  /** Updates the row with this primary key and returns it, or null when there is none. */
  async updateByPK(primaryKey: unknown, values: WriteValues<Row>): Promise<Row | null> {
    const pkName = this.definition.primaryKey.name
    if (isPlainObject(values) && values[pkName as keyof typeof values] !== undefined) {
      this.#valueInvalid(
        `the primary key "${pkName}" cannot be changed by updateByPK; create a new row instead`,
        pkName,
      )
    }
    const { columns, params } = this.#encodeRow(values, 'update')
    this.#stamp(columns, params, [UPDATED_AT])
    const key = this.#encodePrimaryKey(primaryKey)
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
    return result.rows.length > 0 ? this.#decodeRow(result.rows[0]) : null
  }

  /** Deletes the row with this primary key; true when there was one. */
  async deleteByPK(primaryKey: unknown): Promise<boolean> {
    const key = this.#encodePrimaryKey(primaryKey)
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
    const { columns, params } = this.#encodeRow(values, 'create')
    for (const name of conflict) {
      if (!columns.includes(name))
        this.#valueInvalid(`upsert needs a value for "${name}", part of its conflict key`, name)
    }
    const pkName = this.definition.primaryKey.name
    let update = options.update
      ? this.#checkUpdateList(options.update, columns)
      : columns.filter((name) => !conflict.includes(name) && name !== pkName && name !== CREATED_AT)
    this.#stamp(columns, params, [CREATED_AT, UPDATED_AT])
    if (this.#hasUpdatedAt && !update.includes(UPDATED_AT)) update = [...update, UPDATED_AT]
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
    return this.#decodeRow(result.rows[0])
  }

  #makeCodec(field: FieldDefinition): FieldCodec {
    const schema = valueSchema(field)
    const codec = this.#db.models.codec(field.dataType)
    return {
      field,
      decode: codec.fromStorage,
      encode: (value, usedIn) => {
        const parsed = schema.safeParse(value)
        if (!parsed.success) {
          this.#valueInvalid(
            `${usedIn} takes ${describeAccepted(field)} ("${field.name}" is ${field.dataType})`,
            field.name,
          )
        }
        return codec.toStorage(parsed.data)
      },
    }
  }

  #field(name: string, usedIn: string): FieldCodec {
    const codec = this.#codecs.get(name)
    if (codec) return codec
    throw new JitError(
      'JIT_MODEL_UNKNOWN_FIELD',
      `${this.#label} has no field "${name.slice(0, 64)}" (used in ${usedIn}): ${didYouMean(name, [...this.#codecs.keys()])}`,
      { field: name.slice(0, 64) },
    )
  }

  #filterContext() {
    return {
      label: this.#label,
      field: (name: string, usedIn: string) => this.#field(name, usedIn).field,
      encode: (field: FieldDefinition, value: unknown, usedIn: string) =>
        this.#codecs.get(field.name)!.encode(value, usedIn),
    }
  }

  /** Checks and converts the given values; `columns` and `params` are parallel arrays. */
  #encodeRow(values: unknown, mode: 'create' | 'update'): { columns: string[]; params: unknown[] } {
    if (!isPlainObject(values)) this.#valueInvalid('values are an object of field names to values')
    const columns: string[] = []
    const params: unknown[] = []
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) continue
      const codec = this.#field(name, 'the values')
      if (value === null) {
        if (codec.field.required) this.#valueInvalid(`"${name}" is required and cannot be null`, name)
        params.push(null)
      } else {
        params.push(codec.encode(value, `"${name}"`))
      }
      columns.push(name)
    }
    if (mode === 'create') {
      for (const field of this.definition.fields) {
        const missing = field.required && field.dataType !== 'AutoInt' && field.default === undefined
        if (missing && !columns.includes(field.name))
          this.#valueInvalid(`"${field.name}" is required`, field.name)
      }
    }
    return { columns, params }
  }

  /**
   * Adds the timestamp columns the model declares and the caller did not give. `now` is the stored
   * form of the current time, so one call stores one instant in both.
   */
  #stamp(
    columns: string[],
    params: unknown[],
    names: readonly (typeof CREATED_AT | typeof UPDATED_AT)[],
  ): void {
    let now: unknown
    for (const name of names) {
      const declared = name === CREATED_AT ? this.#hasCreatedAt : this.#hasUpdatedAt
      if (!declared || columns.includes(name)) continue
      now ??= this.#storeDatetime(new Date())
      columns.push(name)
      params.push(now)
    }
  }

  #encodePrimaryKey(value: unknown): unknown {
    const pk = this.definition.primaryKey
    if (value === null || value === undefined)
      this.#valueInvalid(`a primary key value ("${pk.name}") is required`, pk.name)
    return this.#codecs.get(pk.name)!.encode(value, `the primary key "${pk.name}"`)
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
    for (const name of conflict) this.#field(String(name), 'the upsert conflict key')
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
    if (!Array.isArray(update)) this.#valueInvalid('upsert\'s "update" is a list of field names')
    for (const name of update) {
      this.#field(name, "upsert's update list")
      if (!columns.includes(name))
        this.#valueInvalid(`upsert's update list names "${name}", which the values do not give`, name)
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
      this.#field(entry[0], 'orderList')
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
    return builder.where((eb) => buildCondition(eb, condition, slot))
  }

  #decodeRow(row: unknown): Row {
    const record = row as Record<string, unknown>
    for (const [name, codec] of this.#codecs) {
      const stored = record[name]
      if (stored !== null && stored !== undefined) record[name] = codec.decode(stored)
    }
    return record as Row
  }

  /** Runs the statement of this shape with `values`, compiling the shape on first use. */
  async #run(
    shapeKey: string,
    values: readonly unknown[],
    build: (slot: (index: number) => unknown) => Compilable,
  ): Promise<CompiledRunResult> {
    if (this.#schemaReady) await this.#schemaReady
    let shape = this.#shapes.get(shapeKey)
    if (!shape) {
      shape = compileShape(build)
      if (this.#shapes.size >= SHAPE_CACHE_SIZE)
        this.#shapes.delete(this.#shapes.keys().next().value as string)
      this.#shapes.set(shapeKey, shape)
    }
    const parameters = shape.parameters.map((p) => (typeof p === 'number' ? values[p] : p.constant))
    try {
      return await this.#db.runCompiled(shape.sql, parameters)
    } catch (error) {
      throw this.#translateDatabaseError(error)
    }
  }

  #translateDatabaseError(error: unknown): JitError {
    const violation = this.#db.models.readConstraintViolation(error)
    if (violation?.kind === 'unique') {
      return new JitError(
        'JIT_MODEL_CONSTRAINT_VIOLATION',
        `${this.#label}: a row with the same (${violation.columns.join(', ')}) already exists. ` +
          'Use upsert with that key to update it, or give a different value.',
        { field: violation.columns.join(',') },
        { cause: error },
      )
    }
    if (violation) {
      return new JitError(
        'JIT_MODEL_CONSTRAINT_VIOLATION',
        `${this.#label}: the database refused the write (${violation.kind === 'notNull' ? `"${violation.columns.join(', ')}" cannot be empty` : 'a constraint failed'}). Give every required field a value.`,
        {},
        { cause: error },
      )
    }
    return new JitError(
      'JIT_DB_QUERY_FAILED',
      `${this.#label}: the database failed the query (${(error as Error)?.message ?? 'unknown error'}). ` +
        'If it says the database is locked, another process held it longer than the busy timeout; retry or look for a stuck writer.',
      {},
      { cause: error },
    )
  }

  #valueInvalid(message: string, field?: string): never {
    throw new JitError('JIT_MODEL_VALUE_INVALID', `${this.#label}: ${message}`, { field })
  }

  #queryInvalid(message: string): never {
    throw new JitError('JIT_MODEL_QUERY_INVALID', `${this.#label}: ${message}`)
  }
}

/** Builds a query with `Slot` stand-ins and records which value each SQL parameter takes. */
function compileShape(build: (slot: (index: number) => unknown) => Compilable): CompiledShape {
  const compiled = build((index) => new Slot(index)).compile()
  return {
    sql: compiled.sql,
    parameters: compiled.parameters.map((p) => (p instanceof Slot ? p.index : { constant: p })),
  }
}
