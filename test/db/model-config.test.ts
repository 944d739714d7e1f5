import { describe, expect, expectTypeOf, it } from 'vitest'
import { parseModelConfig, type RowOf } from '../../runtime/db/index.ts'
import { caught, userConfig } from './db-helpers.ts'

const where = { file: '/app/models/User/User.json', element: 'models.User' }
const withFields = (...fields: object[]) => ({
  table: 't',
  fields: [{ name: 'id', dataType: 'AutoInt', primaryKey: true }, ...fields],
})

describe('parseModelConfig', () => {
  it('reads fields, keys and indexes into a frozen definition', () => {
    const model = parseModelConfig({
      ...userConfig,
      fields: [
        ...userConfig.fields,
        { name: 'city', dataType: 'Stext', dbIndex: true },
        { name: 'code', dataType: 'Stext', unique: 1 },
      ],
      indexes: [['appId', 'nickname']],
    })
    expect(model.db).toBe('databases.Default')
    expect(model.table).toBe('users')
    expect(model.primaryKey.name).toBe('id')
    expect(model.fields.find((f) => f.name === 'openid')).toMatchObject({
      dataType: 'Stext',
      maxLen: 64,
      required: true,
    })
    expect(model.uniqueKeys).toEqual([['code'], ['appId', 'openid']])
    expect(model.indexes).toEqual([['city'], ['appId', 'nickname']])
    expect(Object.isFrozen(model)).toBe(true)
    expect(Object.isFrozen(model.fields[0])).toBe(true)
  })

  it('takes the table from the caller when the config names none', () => {
    expect(parseModelConfig({ fields: userConfig.fields }, { defaultTable: 'wechat_users' }).table).toBe(
      'wechat_users',
    )
  })

  it('refuses an unknown datatype with JIT_MODEL_DATATYPE_UNKNOWN, naming the field and a close match', async () => {
    const error = await caught(() =>
      parseModelConfig(withFields({ name: 'born', dataType: 'DateTime' }), { where }),
    )
    expect(error.code).toBe('JIT_MODEL_DATATYPE_UNKNOWN')
    expect(error.field).toBe('fields.1.dataType')
    expect(error.file).toBe(where.file)
    expect(error.message).toContain('did you mean "Datetime"?')

    const other = await caught(() => parseModelConfig(withFields({ name: 'x', dataType: 'Money' })))
    expect(other.code).toBe('JIT_MODEL_DATATYPE_UNKNOWN')
    expect(other.message).toContain('AutoInt, Integer, Numeric, Stext, Ltext, Datetime, Date, Checkbox, JSON')
  })

  it.each([
    ['no primary key', { table: 't', fields: [{ name: 'a', dataType: 'Stext' }] }, 'fields'],
    ['two primary keys', withFields({ name: 'b', dataType: 'Integer', primaryKey: true }), 'fields'],
    ['AutoInt that is not the key', withFields({ name: 'n', dataType: 'AutoInt' }), 'fields.1'],
    ['maxLen on Ltext', withFields({ name: 'n', dataType: 'Ltext', maxLen: 10 }), 'fields.1.maxLen'],
    ['a misspelt option', withFields({ name: 'n', dataType: 'Stext', maxlen: 10 }), ''],
    ['a bad field name', withFields({ name: 'first name', dataType: 'Stext' }), 'fields.1.name'],
    ['a reserved field name', withFields({ name: 'or', dataType: 'Stext' }), 'fields.1.name'],
    ['a repeated field name', withFields({ name: 'id', dataType: 'Stext' }), 'fields.1.name'],
    ['a unique key on an unknown field', { ...withFields(), unique: [['id', 'nope']] }, 'unique.0.1'],
    ['an index on an unknown field', { ...withFields(), indexes: [['nope']] }, 'indexes.0.0'],
    [
      'a default of the wrong kind',
      withFields({ name: 'n', dataType: 'Integer', default: 'many' }),
      'fields.1.default',
    ],
    ['no table name', { fields: withFields().fields }, 'table'],
    ['no fields', { table: 't', fields: [] }, 'fields'],
  ])('refuses %s with JIT_MODEL_FIELDS_INVALID and the field path', async (_name, config, path) => {
    const error = await caught(() => parseModelConfig(config, { where }))
    expect(error.code).toBe('JIT_MODEL_FIELDS_INVALID')
    expect(error.file).toBe(where.file)
    if (path) expect(error.field).toBe(path)
    expect(error.message.length).toBeGreaterThan(20)
  })

  it('types rows of an `as const` config', () => {
    const config = {
      fields: [
        { name: 'id', dataType: 'AutoInt', primaryKey: true },
        { name: 'title', dataType: 'Stext', required: true },
        { name: 'at', dataType: 'Datetime' },
        { name: 'done', dataType: 'Checkbox' },
      ],
    } as const
    expectTypeOf<RowOf<typeof config>>().toEqualTypeOf<{
      id: number
      title: string
      at: Date | null
      done: boolean | null
    }>()
  })
})
