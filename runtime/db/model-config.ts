/**
 * The business config of a model element: its fields with JitAi datatypes, keys and indexes. It is
 * JSON, validated once here into a frozen `ModelDefinition` that schema sync and the model handle use.
 */
import { z } from 'zod'
import { type ErrorLocation, JitError } from '../errors.ts'
import {
  DATA_TYPE_NAMES,
  type DataTypeName,
  type DataTypeValues,
  isDataTypeName,
  valueSchema,
} from './datatypes.ts'

/** The database element a model uses when it names none. */
export const DEFAULT_DATABASE_ELEMENT = 'databases.Default'

/** Field and table names become SQL identifiers as they are; 63 is PostgreSQL's limit. */
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,62}$/
/** Filters use these words for grouping, so no field may carry them as a name. */
const RESERVED_FIELD_NAMES = new Set(['and', 'or'])

const identifier = z.string().regex(IDENTIFIER, {
  message: 'use a letter first, then letters, digits or _ (at most 63 characters)',
})

const fieldSchema = z.strictObject({
  name: identifier.refine((name) => !RESERVED_FIELD_NAMES.has(name), {
    message: '"and" and "or" are reserved for filters; choose another name',
  }),
  title: z.string().optional(),
  description: z.string().optional(),
  placeholder: z.string().optional(),
  readOnly: z.union([z.boolean(), z.literal(0), z.literal(1)]).optional(),
  dataType: z.string(),
  primaryKey: z.boolean().optional(),
  required: z.boolean().optional(),
  unique: z.union([z.boolean(), z.literal(0), z.literal(1)]).optional(),
  dbIndex: z.boolean().optional(),
  maxLen: z.number().int().min(1).max(65_535).optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
})

const keyList = z.array(z.array(identifier).min(1).max(16)).optional()

const modelConfigSchema = z.strictObject({
  db: z.string().min(1).optional(),
  table: identifier.optional(),
  fields: z.array(fieldSchema).min(1),
  unique: keyList,
  indexes: keyList,
})

/** A model's config as written in its JSON file. */
export type ModelConfigInput = z.input<typeof modelConfigSchema>

export interface FieldDefinition {
  readonly name: string
  readonly title: string
  readonly dataType: DataTypeName
  readonly primaryKey: boolean
  readonly required: boolean
  readonly unique: boolean
  readonly dbIndex: boolean
  readonly maxLen?: number
  /** Already checked against the datatype; used when a write leaves the field out and for added columns. */
  readonly default?: string | number | boolean
}

export interface ModelDefinition {
  readonly db: string
  readonly table: string
  readonly fields: readonly FieldDefinition[]
  readonly primaryKey: FieldDefinition
  /** Every unique key: field-level `unique` ones first, then the model's `unique` lists. */
  readonly uniqueKeys: readonly (readonly string[])[]
  readonly indexes: readonly (readonly string[])[]
}

function fail(
  code: 'JIT_MODEL_FIELDS_INVALID' | 'JIT_MODEL_DATATYPE_UNKNOWN',
  message: string,
  where: ErrorLocation,
  field: string,
): never {
  throw new JitError(code, message, { ...where, field })
}

function checkDataTypes(raw: unknown, where: ErrorLocation): void {
  const fields = (raw as { fields?: unknown })?.fields
  if (!Array.isArray(fields)) return
  fields.forEach((field, index) => {
    const dataType = (field as { dataType?: unknown })?.dataType
    if (typeof dataType !== 'string' || isDataTypeName(dataType)) return
    const close = DATA_TYPE_NAMES.find((name) => name.toLowerCase() === dataType.toLowerCase())
    const hint = close ? `did you mean "${close}"?` : `use one of ${DATA_TYPE_NAMES.join(', ')}`
    fail(
      'JIT_MODEL_DATATYPE_UNKNOWN',
      `field ${index} names datatype "${dataType.slice(0, 40)}", which jitlite does not know: ${hint}`,
      where,
      `fields.${index}.dataType`,
    )
  })
}

function toFieldDefinition(field: z.infer<typeof fieldSchema>, index: number, where: ErrorLocation) {
  const dataType = field.dataType as DataTypeName
  const path = `fields.${index}`
  if (field.maxLen !== undefined && dataType !== 'Stext') {
    fail(
      'JIT_MODEL_FIELDS_INVALID',
      `"maxLen" applies to Stext fields only; remove it from "${field.name}"`,
      where,
      `${path}.maxLen`,
    )
  }
  if (dataType === 'AutoInt' && !field.primaryKey) {
    fail(
      'JIT_MODEL_FIELDS_INVALID',
      `AutoInt field "${field.name}" must be the primary key: add "primaryKey": true or use Integer`,
      where,
      path,
    )
  }
  if (field.primaryKey && !['AutoInt', 'Integer', 'Stext'].includes(dataType)) {
    fail(
      'JIT_MODEL_FIELDS_INVALID',
      `primary key "${field.name}" must be AutoInt, Integer or Stext`,
      where,
      `${path}.primaryKey`,
    )
  }
  if (field.default !== undefined) {
    if (dataType === 'AutoInt' || dataType === 'Datetime' || dataType === 'JSON') {
      fail(
        'JIT_MODEL_FIELDS_INVALID',
        `"default" is not supported on ${dataType} fields; remove it from "${field.name}"`,
        where,
        `${path}.default`,
      )
    }
    if (!valueSchema({ dataType, maxLen: field.maxLen }).safeParse(field.default).success) {
      fail(
        'JIT_MODEL_FIELDS_INVALID',
        `the default of "${field.name}" does not fit its datatype ${dataType}`,
        where,
        `${path}.default`,
      )
    }
  }
  const definition: FieldDefinition = {
    name: field.name,
    title: field.title ?? field.name,
    dataType,
    primaryKey: field.primaryKey === true,
    required: field.required === true || field.primaryKey === true,
    unique: field.unique === true || field.unique === 1,
    dbIndex: field.dbIndex === true,
    ...(field.maxLen !== undefined ? { maxLen: field.maxLen } : {}),
    ...(field.default !== undefined ? { default: field.default } : {}),
  }
  return Object.freeze(definition)
}

function checkKeys(
  lists: string[][] | undefined,
  names: Set<string>,
  key: 'unique' | 'indexes',
  where: ErrorLocation,
) {
  for (const [listIndex, list] of (lists ?? []).entries()) {
    for (const [i, name] of list.entries()) {
      if (!names.has(name)) {
        fail(
          'JIT_MODEL_FIELDS_INVALID',
          `"${key}" names "${name}", which is not one of the fields`,
          where,
          `${key}.${listIndex}.${i}`,
        )
      }
    }
    if (new Set(list).size !== list.length) {
      fail(
        'JIT_MODEL_FIELDS_INVALID',
        `"${key}" lists a field twice in one key`,
        where,
        `${key}.${listIndex}`,
      )
    }
  }
}

function sameKey(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i])
}

function addDistinct(keys: (readonly string[])[], key: readonly string[]) {
  if (!keys.some((existing) => sameKey(existing, key))) keys.push(Object.freeze([...key]))
}

/**
 * Validates a model's config and returns its frozen definition. `defaultTable` names the table when
 * the config gives none (the element glue passes one derived from the element's fullName).
 *
 * @example
 * const model = parseModelConfig(
 *   { fields: [{ name: 'id', dataType: 'AutoInt', primaryKey: true }, { name: 'title', dataType: 'Stext' }] },
 *   { defaultTable: 'notes', where: { file: 'models/Note/Note.json' } },
 * )
 */
export function parseModelConfig(
  raw: unknown,
  options: { defaultTable?: string; where?: ErrorLocation } = {},
): ModelDefinition {
  const where = options.where ?? {}
  checkDataTypes(raw, where)
  const parsed = modelConfigSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = issue.path.join('.')
    fail(
      'JIT_MODEL_FIELDS_INVALID',
      `the model config is malformed at "${path || '(root)'}": ${issue.message}`,
      where,
      path,
    )
  }
  const config = parsed.data
  const fields = config.fields.map((field, index) => toFieldDefinition(field, index, where))

  const names = new Set<string>()
  for (const [index, field] of fields.entries()) {
    if (names.has(field.name))
      fail('JIT_MODEL_FIELDS_INVALID', `two fields are named "${field.name}"`, where, `fields.${index}.name`)
    names.add(field.name)
  }
  const primaryKeys = fields.filter((field) => field.primaryKey)
  if (primaryKeys.length !== 1) {
    fail(
      'JIT_MODEL_FIELDS_INVALID',
      `a model needs exactly one primary key field (it has ${primaryKeys.length}), e.g. { "name": "id", "dataType": "AutoInt", "primaryKey": true }`,
      where,
      'fields',
    )
  }
  checkKeys(config.unique, names, 'unique', where)
  checkKeys(config.indexes, names, 'indexes', where)

  const table = config.table ?? options.defaultTable
  if (!table || !IDENTIFIER.test(table)) {
    fail(
      'JIT_MODEL_FIELDS_INVALID',
      'the model needs a "table" name: a letter first, then letters, digits or _',
      where,
      'table',
    )
  }

  const uniqueKeys: (readonly string[])[] = []
  for (const field of fields) if (field.unique && !field.primaryKey) addDistinct(uniqueKeys, [field.name])
  for (const key of config.unique ?? []) addDistinct(uniqueKeys, key)
  const indexes: (readonly string[])[] = []
  for (const field of fields)
    if (field.dbIndex && !field.unique && !field.primaryKey) addDistinct(indexes, [field.name])
  for (const key of config.indexes ?? []) addDistinct(indexes, key)

  return Object.freeze({
    db: config.db ?? DEFAULT_DATABASE_ELEMENT,
    table,
    fields: Object.freeze(fields),
    primaryKey: primaryKeys[0],
    uniqueKeys: Object.freeze(uniqueKeys),
    indexes: Object.freeze(indexes),
  })
}

interface TypedFieldInput {
  readonly name: string
  readonly dataType: DataTypeName
  readonly primaryKey?: boolean
  readonly required?: boolean
}

type FieldValue<F extends TypedFieldInput> = F extends { primaryKey: true } | { required: true }
  ? DataTypeValues[F['dataType']]
  : DataTypeValues[F['dataType']] | null

/**
 * The row type of a model config written in TypeScript `as const` (JSON files lose the literal types;
 * give those models a hand-written row type instead).
 *
 * @example
 * const noteConfig = { fields: [{ name: 'id', dataType: 'AutoInt', primaryKey: true }, { name: 'body', dataType: 'Ltext' }] } as const
 * type Note = RowOf<typeof noteConfig> // { id: number; body: string | null }
 */
export type RowOf<C extends { readonly fields: readonly TypedFieldInput[] }> = {
  -readonly [F in C['fields'][number] as F['name']]: FieldValue<F>
}
