/** The database and model library; the runtime and the `databases` / `models` Types build on it. */
export type { Database, DialectName, ModelDialect } from './database.ts'
export { DATA_TYPE_NAMES, type DataTypeName, type DataTypeValues } from './datatypes.ts'
export type { FieldOperators, Filter } from './filter.ts'
export {
  ModelHandle,
  type OrderList,
  type QueryOptions,
  type QueryResultPage,
  type UpsertOptions,
  type WriteValues,
} from './model.ts'
export {
  DEFAULT_DATABASE_ELEMENT,
  type FieldDefinition,
  type ModelConfigInput,
  type ModelDefinition,
  parseModelConfig,
  type RowOf,
} from './model-config.ts'
export { type OpenModelOptions, openModel } from './open-model.ts'
export { type SchemaSyncReport, type SyncOptions, syncModelSchema } from './schema-sync.ts'
export {
  MEMORY_DATABASE,
  openSqliteDatabase,
  openSqliteDatabaseSync,
  type SqliteDatabaseOptions,
} from './sqlite.ts'
