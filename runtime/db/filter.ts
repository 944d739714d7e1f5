/**
 * Model filters: `{ field: value }` for equality, `{ field: { gt: 3 } }` for the operators below, and
 * `and` / `or` lists of filters. A filter is planned in two parts: a shape (fields and operators,
 * which decide the SQL text) and the values, already converted for storage. Equal shapes then share
 * one compiled statement whatever their values.
 */
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely'
import { JitError } from '../errors.ts'
import type { ModelDialect } from './database.ts'
import { isTextDataType } from './datatypes.ts'
import type { FieldDefinition } from './model-config.ts'

export const FILTER_OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'like', 'isNull'] as const
export type FilterOperator = (typeof FILTER_OPERATORS)[number]

/** The most values one `in` list may carry (SQLite binds at most 32766 parameters a statement). */
export const MAX_IN_VALUES = 1000

export interface FieldOperators<V> {
  eq?: V | null
  ne?: V
  gt?: V
  gte?: V
  lt?: V
  lte?: V
  in?: readonly V[]
  like?: string
  isNull?: boolean
}

/**
 * @example
 * { appId: 'wx1', createdAt: { gte: new Date('2024-01-01') }, or: [{ city: 'Hangzhou' }, { city: null }] }
 */
export type Filter<Row> = { [K in keyof Row]?: Row[K] | null | FieldOperators<NonNullable<Row[K]>> } & {
  and?: readonly Filter<Row>[]
  or?: readonly Filter<Row>[]
}

type Comparison = '=' | '<>' | '>' | '>=' | '<' | '<=' | 'like'

/** A filter with its values replaced by numbered slots. */
export type Condition =
  | { kind: 'compare'; field: string; op: Comparison; slot: number }
  | { kind: 'in'; field: string; slots: number[] }
  | { kind: 'null'; field: string; isNull: boolean }
  | { kind: 'never' }
  | { kind: 'and' | 'or'; children: Condition[] }

const COMPARISONS: Record<string, Comparison> = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }

/** What planning needs from the model: its fields and how to convert one value for storage. */
export interface FilterContext {
  readonly label: string
  field(name: string, usedIn: string): FieldDefinition
  encode(field: FieldDefinition, value: unknown, usedIn: string): unknown
}

function queryInvalid(context: FilterContext, message: string, field?: string): never {
  throw new JitError('JIT_MODEL_QUERY_INVALID', `${context.label}: ${message}`, { field })
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function planOperators(
  field: FieldDefinition,
  operators: Record<string, unknown>,
  values: unknown[],
  context: FilterContext,
): Condition[] {
  const conditions: Condition[] = []
  const usedIn = `the filter on "${field.name}"`
  for (const [op, operand] of Object.entries(operators)) {
    if (operand === undefined) continue
    if (!(FILTER_OPERATORS as readonly string[]).includes(op)) {
      queryInvalid(
        context,
        `unknown filter operator "${op.slice(0, 40)}" on "${field.name}": use ${FILTER_OPERATORS.join(', ')}`,
        field.name,
      )
    }
    if (op === 'isNull') {
      if (typeof operand !== 'boolean')
        queryInvalid(context, `isNull on "${field.name}" takes true or false`, field.name)
      conditions.push({ kind: 'null', field: field.name, isNull: operand })
    } else if (op === 'in') {
      if (!Array.isArray(operand) || operand.length > MAX_IN_VALUES) {
        queryInvalid(
          context,
          `"in" on "${field.name}" takes a list of at most ${MAX_IN_VALUES} values`,
          field.name,
        )
      }
      if (operand.length === 0) {
        conditions.push({ kind: 'never' })
        continue
      }
      const slots = operand.map((item) => values.push(context.encode(field, item, usedIn)) - 1)
      conditions.push({ kind: 'in', field: field.name, slots })
    } else if (op === 'like') {
      if (!isTextDataType(field.dataType))
        queryInvalid(
          context,
          `"like" applies to text fields; "${field.name}" is ${field.dataType}`,
          field.name,
        )
      if (typeof operand !== 'string')
        queryInvalid(context, `"like" on "${field.name}" takes a pattern string`, field.name)
      conditions.push({ kind: 'compare', field: field.name, op: 'like', slot: values.push(operand) - 1 })
    } else if (op === 'eq' && operand === null) {
      conditions.push({ kind: 'null', field: field.name, isNull: true })
    } else {
      conditions.push({
        kind: 'compare',
        field: field.name,
        op: COMPARISONS[op],
        slot: values.push(context.encode(field, operand, usedIn)) - 1,
      })
    }
  }
  return conditions
}

function planEntry(name: string, value: unknown, values: unknown[], context: FilterContext): Condition[] {
  if (name === 'and' || name === 'or') {
    if (!Array.isArray(value)) queryInvalid(context, `"${name}" takes a list of filters`)
    const children = value.map((child) => planFilter(child, values, context))
    return [{ kind: name, children }]
  }
  const field = context.field(name, 'filter')
  if (value === null) return [{ kind: 'null', field: field.name, isNull: true }]
  // Stored JSON text compares as text, which says nothing useful about the values it encodes.
  if (
    field.dataType === 'JSON' &&
    !(isPlainObject(value) && Object.keys(value).every((k) => k === 'isNull'))
  ) {
    queryInvalid(
      context,
      `JSON field "${field.name}" can only be filtered by null or { isNull: true | false }`,
      field.name,
    )
  }
  if (isPlainObject(value)) return planOperators(field, value, values, context)
  const usedIn = `the filter on "${field.name}"`
  return [
    {
      kind: 'compare',
      field: field.name,
      op: '=',
      slot: values.push(context.encode(field, value, usedIn)) - 1,
    },
  ]
}

/**
 * Plans a filter: returns its condition tree and pushes its storage values onto `values`.
 * An empty filter plans to an empty `and`, which matches every row.
 */
export function planFilter(filter: unknown, values: unknown[], context: FilterContext): Condition {
  if (filter === undefined || filter === null) return { kind: 'and', children: [] }
  if (!isPlainObject(filter)) queryInvalid(context, 'a filter is an object such as { "openid": "o123" }')
  const children: Condition[] = []
  for (const [name, value] of Object.entries(filter)) {
    if (value === undefined) continue
    children.push(...planEntry(name, value, values, context))
  }
  return children.length === 1 ? children[0] : { kind: 'and', children }
}

/**
 * Builds the kysely expression for a planned condition; `slot(i)` stands for the i-th value. `like` is
 * the dialect's, so that both dialects apply the same case rule.
 */
export function buildCondition(
  eb: ExpressionBuilder<any, any>,
  condition: Condition,
  slot: (index: number) => unknown,
  dialect: Pick<ModelDialect, 'like'>,
): Expression<SqlBool> {
  switch (condition.kind) {
    case 'compare':
      if (condition.op === 'like') return dialect.like(eb, condition.field, slot(condition.slot))
      return eb(eb.ref(condition.field), condition.op, slot(condition.slot))
    case 'in':
      return eb(eb.ref(condition.field), 'in', condition.slots.map(slot))
    case 'null':
      return eb(eb.ref(condition.field), condition.isNull ? 'is' : 'is not', null)
    case 'never':
      // kysely renders an empty OR as `1 = 0` in every dialect.
      return eb.or([])
    case 'and':
      return eb.and(condition.children.map((child) => buildCondition(eb, child, slot, dialect)))
    case 'or':
      return eb.or(condition.children.map((child) => buildCondition(eb, child, slot, dialect)))
  }
}

/** Whether a condition matches every row, so that no WHERE clause is needed. */
export function matchesEverything(condition: Condition): boolean {
  return condition.kind === 'and' && condition.children.length === 0
}
