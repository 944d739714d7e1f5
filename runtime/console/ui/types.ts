/** What the console's API (`/__jit/api/`) answers, as the page reads it. */

export type Kind = 'Meta' | 'Type' | 'Instance' | 'other'
export type Source = 'own' | 'inherited' | 'overriding'

export interface Problem {
  file?: string
  field?: string
  message: string
  code: string
}

export interface ElementSummary {
  fullName: string
  family: string
  kind: Kind
  type: string
  title: string
  layer: string
  source: Source
  valid: boolean
  problems: Problem[]
  editable: boolean
}

export interface AppSummary {
  name: string
  title: string
  dir: string
  extends: string[]
  bind: { host: string; port: number; loopback: boolean }
}

export interface Family {
  family: string
  title: string
  types: Array<{ fullName: string; title: string }>
}

export interface HelpItem {
  label: string
  value: string
  copy: boolean
}

export interface TypeInfo {
  fullName: string
  title: string
  family: string
  schema: JsonSchema
  help: { items: HelpItem[]; text?: string } | null
  canCheck: boolean
}

export interface ElementDetail {
  fullName: string
  type: string
  files: Record<string, string>
  hash: string
  config: Record<string, unknown>
  secrets: Record<string, { ref: string; set: boolean }>
}

export interface DiffFile {
  name: string
  before: string
  after: string
  diff: string
}

export interface TrashEntry {
  trashId: string
  fullName: string
  deletedAt: string | number
}

export interface CheckResult {
  ok: boolean
  code?: string
  message: string
  fix?: string
}

/** The part of JSON Schema (draft 2020-12, as zod's toJSONSchema writes it) that the form reads. */
export interface JsonSchema {
  type?: string | string[]
  title?: string
  description?: string
  placeholder?: string
  default?: unknown
  enum?: unknown[]
  const?: unknown
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minLength?: number
  maxLength?: number
  pattern?: string
  format?: string
  'x-jit-secret'?: boolean
  [key: string]: unknown
}
