/**
 * A model's values on their way in and out: each field's zod check and storage conversion, required
 * fields, the `createdAt` / `updatedAt` stamps, and the coded errors for bad values and unknown fields.
 */
import { JitError } from '../errors.ts'
import type { ModelDialect, StorageCodec } from './database.ts'
import { acceptsAsIs, describeAccepted, valueSchema } from './datatypes.ts'
import type { FilterContext } from './filter.ts'
import type { FieldDefinition, ModelDefinition } from './model-config.ts'

export const CREATED_AT = 'createdAt'
export const UPDATED_AT = 'updatedAt'
type Stamp = typeof CREATED_AT | typeof UPDATED_AT

interface FieldCodec {
  field: FieldDefinition
  encode(value: unknown, usedIn: string): unknown
  decode: StorageCodec['fromStorage']
}

/** Values ready for a statement: `columns` and `params` are parallel arrays. */
export interface EncodedRow {
  columns: string[]
  params: unknown[]
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
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
 * @example
 * const rows = new RowCodec(definition, db.models, 'models.User')
 * const { columns, params } = rows.encodeRow({ openid: 'o1' }, 'create')
 */
export class RowCodec implements FilterContext {
  readonly label: string
  readonly #definition: ModelDefinition
  readonly #codecs = new Map<string, FieldCodec>()
  readonly #stamps: ReadonlySet<Stamp>
  readonly #storeDatetime: (now: Date) => unknown

  constructor(definition: ModelDefinition, dialect: ModelDialect, label: string) {
    this.label = label
    this.#definition = definition
    for (const field of definition.fields) this.#codecs.set(field.name, makeCodec(field, dialect, this))
    const isDatetime = (name: string) => this.#codecs.get(name)?.field.dataType === 'Datetime'
    this.#stamps = new Set(([CREATED_AT, UPDATED_AT] as const).filter(isDatetime))
    this.#storeDatetime = dialect.codec('Datetime').toStorage
  }

  /** Whether the model keeps this timestamp (a Datetime field of that name). */
  keeps(stamp: Stamp): boolean {
    return this.#stamps.has(stamp)
  }

  /** The field of this name; `JIT_MODEL_UNKNOWN_FIELD` (with a "did you mean") when there is none. */
  field(name: string, usedIn: string): FieldDefinition {
    const codec = this.#codecs.get(name)
    if (codec) return codec.field
    throw new JitError(
      'JIT_MODEL_UNKNOWN_FIELD',
      `${this.label} has no field "${name.slice(0, 64)}" (used in ${usedIn}): ${didYouMean(name, [...this.#codecs.keys()])}`,
      { field: name.slice(0, 64) },
    )
  }

  /** Checks one non-null value against its field and converts it for storage. */
  encode(field: FieldDefinition, value: unknown, usedIn: string): unknown {
    return this.#codecs.get(field.name)!.encode(value, usedIn)
  }

  /** Checks and converts a write's values; `create` also requires every required field without a default. */
  encodeRow(values: unknown, mode: 'create' | 'update'): EncodedRow {
    if (!isPlainObject(values)) this.valueInvalid('values are an object of field names to values')
    const columns: string[] = []
    const params: unknown[] = []
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) continue
      const field = this.field(name, 'the values')
      if (value === null) {
        if (field.required) this.valueInvalid(`"${name}" is required and cannot be null`, name)
        params.push(null)
      } else {
        params.push(this.encode(field, value, `"${name}"`))
      }
      columns.push(name)
    }
    if (mode === 'create') {
      for (const field of this.#definition.fields) {
        const missing = field.required && field.dataType !== 'AutoInt' && field.default === undefined
        if (missing && !columns.includes(field.name))
          this.valueInvalid(`"${field.name}" is required`, field.name)
      }
    }
    return { columns, params }
  }

  encodePrimaryKey(value: unknown): unknown {
    const pk = this.#definition.primaryKey
    if (value === null || value === undefined)
      this.valueInvalid(`a primary key value ("${pk.name}") is required`, pk.name)
    return this.encode(pk, value, `the primary key "${pk.name}"`)
  }

  /** Adds the kept timestamps the caller did not give, all holding the same instant. */
  stamp(row: EncodedRow, stamps: readonly Stamp[]): void {
    let now: unknown
    for (const name of stamps) {
      if (!this.#stamps.has(name) || row.columns.includes(name)) continue
      now ??= this.#storeDatetime(new Date())
      row.columns.push(name)
      row.params.push(now)
    }
  }

  /** Turns a stored row into JS values, in place. */
  decodeRow<Row>(row: unknown): Row {
    const record = row as Record<string, unknown>
    for (const [name, codec] of this.#codecs) {
      const stored = record[name]
      if (stored !== null && stored !== undefined) record[name] = codec.decode(stored)
    }
    return record as Row
  }

  valueInvalid(message: string, field?: string): never {
    throw new JitError('JIT_MODEL_VALUE_INVALID', `${this.label}: ${message}`, { field })
  }
}

function makeCodec(field: FieldDefinition, dialect: ModelDialect, rows: RowCodec): FieldCodec {
  const schema = valueSchema(field)
  const asIs = acceptsAsIs(field)
  const codec = dialect.codec(field.dataType)
  return {
    field,
    decode: codec.fromStorage,
    encode: (value, usedIn) => {
      if (asIs(value)) return codec.toStorage(value)
      const parsed = schema.safeParse(value)
      if (!parsed.success) {
        rows.valueInvalid(
          `${usedIn} takes ${describeAccepted(field)} ("${field.name}" is ${field.dataType})`,
          field.name,
        )
      }
      return codec.toStorage(parsed.data)
    },
  }
}
