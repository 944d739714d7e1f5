/**
 * `jitlite/db`: databases, models and the building blocks of the runtime's own tables, whatever the
 * database. The SQLite driver is `jitlite/db/sqlite`, imported only by what opens one.
 */
export type { Database, DialectName, ModelDialect } from '../db/database.ts'
export { DATABASE_RETRY_AFTER_SECONDS, type StorageFault, storageFaultOf } from '../db/database-errors.ts'
export type { DataTypeName } from '../db/datatypes.ts'
export {
  createExpiringTable,
  deleteExpiredPrefix,
  RowSelectors,
  SELECTOR_PATTERN,
} from '../db/expiring-rows.ts'
export type { FieldOperators, Filter } from '../db/filter.ts'
export { type InsertedRow, type InsertedType, insertWhen } from '../db/insert-when.ts'
export { type Lease, Leases } from '../db/leases.ts'
export {
  ModelHandle,
  type QueryOptions,
  type QueryResultPage,
  type UpsertOptions,
  type WriteValues,
} from '../db/model.ts'
export {
  DEFAULT_DATABASE_ELEMENT,
  type FieldDefinition,
  type ModelDefinition,
  parseModelConfig,
  type RowOf,
} from '../db/model-config.ts'
export { isPostgres, withSchemaChangeLock } from '../db/schema-lock.ts'
export { type SchemaSyncReport, type SyncOptions, syncModelSchema } from '../db/schema-sync.ts'
export { SetupOnce } from '../db/setup-once.ts'
export { bindShape, type CompiledShape, compileShape, slot } from '../db/statement-shapes.ts'
export { createTurnFunction, inTurns, type TurnStatement, turnCallShape } from '../db/turn-statements.ts'
