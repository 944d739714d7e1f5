import type { ErrorLocation } from '../errors.ts'
import type { Database } from './database.ts'
import { ModelHandle } from './model.ts'
import { parseModelConfig } from './model-config.ts'
import { type SchemaSyncReport, syncModelSchema } from './schema-sync.ts'

export interface OpenModelOptions {
  /** The table when the config names none. */
  defaultTable?: string
  /** Names the model in error messages (the element's fullName). */
  label?: string
  /** Where the config came from, for config errors. */
  where?: ErrorLocation
  /** Told what schema sync did. */
  onSync?: (report: SchemaSyncReport) => void
}

/**
 * Validates a model config, brings its table in line (see `syncModelSchema`) and returns its handle.
 *
 * @example
 * const notes = await openModel<{ id: number; body: string | null }>(db, {
 *   table: 'notes',
 *   fields: [{ name: 'id', dataType: 'AutoInt', primaryKey: true }, { name: 'body', dataType: 'Ltext' }],
 * })
 * const note = await notes.create({ body: 'hello' }) // { id: 1, body: 'hello' }
 */
export async function openModel<Row extends object = Record<string, unknown>>(
  db: Database,
  config: unknown,
  options: OpenModelOptions = {},
): Promise<ModelHandle<Row>> {
  const definition = parseModelConfig(config, { defaultTable: options.defaultTable, where: options.where })
  const report = await syncModelSchema(db, definition, { where: options.where })
  options.onSync?.(report)
  return new ModelHandle<Row>(db, definition, { label: options.label })
}
