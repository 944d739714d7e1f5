import { h } from './dom.ts'
import type { ElementDetail, JsonSchema } from './types.ts'

/* What every field of the schema form shares: its spec, its frame (label, help, error), its start value. */

/** A field of the form: reads its value, and shows an error. */
export interface Field {
  readonly path: string
  readonly node: HTMLElement
  /** `undefined` leaves the field out of the config. */
  read(): unknown
  secretValue?(): [string, string] | undefined
  showError(message: string): void
}

export interface BuildContext {
  secrets: ElementDetail['secrets']
  changed: () => void
}

/** An optional field comes as `anyOf: [X, {type: 'null'}]` from some schemas: the form edits X. */
export function effective(schema: JsonSchema): JsonSchema {
  const options = schema.anyOf ?? schema.oneOf
  if (!options) return schema
  const real = options.filter((option) => option.type !== 'null')
  if (real.length !== 1) return schema
  const { anyOf: _a, oneOf: _o, ...outer } = schema
  return { ...effective(real[0]), ...outer }
}

export function typeOf(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((type) => type !== 'null')
  if (schema.type) return schema.type
  if (schema.enum) return 'enum'
  if (schema.properties) return 'object'
  return undefined
}

export interface FieldSpec {
  schema: JsonSchema
  path: string
  key: string
  required: boolean
  /** The config as written has this key. */
  written: boolean
  start: unknown
  context: BuildContext
}

export function inputId(path: string): string {
  return `field-${path.replace(/[^A-Za-z0-9_-]/g, '-')}`
}

/** The frame of a field: label (title, key, required mark), the control, description and error slot. */
export function frame(
  spec: FieldSpec,
  control: HTMLElement,
  extra?: HTMLElement,
): { node: HTMLElement; showError(m: string): void } {
  const { schema, path, key, required } = spec
  const title = schema.title ?? humanize(key)
  const error = h('p', { class: 'field-error', id: `${inputId(path)}-error`, hidden: true })
  const node = h(
    'div',
    { class: 'field', 'data-path': path },
    h(
      'label',
      { class: 'field-label', for: inputId(path) },
      h('span', { class: 'field-title' }, title),
      required ? h('span', { class: 'required', title: 'required' }, '*') : '',
      title !== key ? h('code', { class: 'field-key' }, key) : '',
    ),
    control,
    extra,
    schema.description
      ? h('p', { class: 'field-help', id: `${inputId(path)}-help` }, schema.description)
      : '',
    error,
  )
  // An error is about the value the server saw: editing the field takes it away.
  const clear = () => {
    node.classList.remove('has-error')
    error.textContent = ''
    error.hidden = true
  }
  node.addEventListener('input', clear)
  node.addEventListener('change', clear)
  return {
    node,
    showError(message) {
      node.classList.add('has-error')
      error.textContent = error.textContent ? `${error.textContent} ${message}` : message
      error.hidden = false
    },
  }
}

export function describedBy(spec: FieldSpec): string {
  const id = inputId(spec.path)
  return spec.schema.description ? `${id}-help ${id}-error` : `${id}-error`
}

/** What a field starts with: the written value, else the default. */
export function startValue(spec: FieldSpec): unknown {
  return spec.written ? spec.start : spec.schema.default
}

/** Left out when empty, or when at a default the file did not write (a new file stays short). */
export function omitted(spec: FieldSpec, value: unknown): boolean {
  if (value === undefined) return true
  if (!spec.written && spec.schema.default !== undefined && sameValue(value, spec.schema.default)) return true
  return false
}

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

export function placeholderOf(schema: JsonSchema): string | undefined {
  if (typeof schema.placeholder === 'string') return schema.placeholder
  const examples = schema.examples
  if (Array.isArray(examples) && examples.length > 0) return String(examples[0])
  return undefined
}

const ACRONYMS: Record<string, string> = {
  id: 'ID',
  url: 'URL',
  uri: 'URI',
  ms: '(ms)',
  api: 'API',
  oauth: 'OAuth',
}

/** `attemptTimeoutMs` -> `Attempt timeout (ms)`, for fields the schema gives no title. */
export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()
  const named = words
    .split(' ')
    .map((word) => ACRONYMS[word] ?? word)
    .join(' ')
  return named.charAt(0).toUpperCase() + named.slice(1)
}
