import { h } from './dom.ts'
import type { ElementDetail, JsonSchema } from './types.ts'

/**
 * A form generated from a Type's config schema (JSON Schema from zod): strings, numbers, booleans,
 * enums as selects, arrays of strings, nested objects, and secret fields as an environment reference
 * with an optional value for `.env`. Titles, descriptions and placeholders come from the schema,
 * defaults are prefilled, required fields are marked.
 */
export interface SchemaForm {
  readonly element: HTMLElement
  /** The config as the form holds it: fields left empty (or at a default the file did not write) are left out. */
  value(): Record<string, unknown>
  /** Values typed for secret fields, by environment variable name: stored in `.env`, never in JSON. */
  secretValues(): Record<string, string>
  /** Shows the server's errors on their fields; returns the ones no field holds. */
  showErrors(fieldErrors: Record<string, string>): Array<[string, string]>
  clearErrors(): void
  onChange(listener: () => void): void
}

export interface SchemaFormOptions {
  /** The config as written (editing): its values fill the form, and fields it has are kept when at their default. */
  initial?: Record<string, unknown>
  /** Stored secrets (editing): their reference and whether the variable is set. */
  secrets?: ElementDetail['secrets']
}

/** A field of the form: reads its value, and shows an error. */
interface Field {
  readonly path: string
  readonly node: HTMLElement
  /** `undefined` leaves the field out of the config. */
  read(): unknown
  secretValue?(): [string, string] | undefined
  showError(message: string): void
}

const REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}$/

export function buildSchemaForm(schema: JsonSchema, options: SchemaFormOptions = {}): SchemaForm {
  const listeners: Array<() => void> = []
  const changed = () => {
    for (const listener of listeners) listener()
  }
  const initial = options.initial ?? {}
  const context: BuildContext = { secrets: options.secrets ?? {}, changed }
  const root = objectFields(effective(schema), [], initial, context)
  const formErrors = h('div', { class: 'form-errors', role: 'alert', hidden: true })
  const element = h('div', { class: 'schema-form' }, formErrors, ...root.map((field) => field.node))
  const allFields = () => [...element.querySelectorAll<HTMLElement>('[data-path]')]

  return {
    element,
    value() {
      // Keys the schema does not describe are kept as they were written.
      const config: Record<string, unknown> = {}
      const known = new Set(Object.keys(effective(schema).properties ?? {}))
      for (const [key, value] of Object.entries(initial)) if (!known.has(key)) config[key] = value
      for (const field of root) {
        const value = field.read()
        if (value !== undefined) config[field.path] = value
      }
      return config
    },
    secretValues() {
      const values: Record<string, string> = {}
      for (const field of walk(root)) {
        const entry = field.secretValue?.()
        if (entry) values[entry[0]] = entry[1]
      }
      return values
    },
    showErrors(fieldErrors) {
      const unplaced: Array<[string, string]> = []
      const fields = [...walk(root)]
      for (const [path, message] of Object.entries(fieldErrors)) {
        const field = nearestField(fields, path)
        if (!field) {
          unplaced.push([path, message])
          continue
        }
        const rest = path.slice(field.path.length).replace(/^\./, '')
        field.showError(rest ? `${describeSubPath(rest)}: ${message}` : message)
      }
      if (unplaced.length > 0) {
        formErrors.replaceChildren(
          ...unplaced.map(([path, message]) =>
            h('p', {}, path ? h('code', {}, path) : '', path ? ': ' : '', message),
          ),
        )
        formErrors.hidden = false
      }
      element
        .querySelector<HTMLElement>(
          '.field.has-error input, .field.has-error select, .field.has-error textarea',
        )
        ?.focus()
      return unplaced
    },
    clearErrors() {
      formErrors.hidden = true
      formErrors.replaceChildren()
      for (const node of allFields()) {
        node.classList.remove('has-error')
        const slot = node.querySelector(':scope > .field-error')
        if (slot) {
          slot.textContent = ''
          ;(slot as HTMLElement).hidden = true
        }
      }
    },
    onChange(listener) {
      listeners.push(listener)
    },
  }
}

interface BuildContext {
  secrets: ElementDetail['secrets']
  changed: () => void
}

function* walk(fields: Field[]): Generator<Field> {
  for (const field of fields) {
    yield field
    const children = (field as Field & { children?: Field[] }).children
    if (children) yield* walk(children)
  }
}

/** The field whose path is the error's path or its longest prefix (an array's item goes to the array). */
function nearestField(fields: Field[], path: string): Field | undefined {
  let best: Field | undefined
  for (const field of fields) {
    if (path !== field.path && !path.startsWith(`${field.path}.`)) continue
    if (!best || field.path.length > best.path.length) best = field
  }
  return best
}

function describeSubPath(rest: string): string {
  const [first, ...more] = rest.split('.')
  const item = /^\d+$/.test(first) ? `item ${Number(first) + 1}` : first
  return [item, ...more].join('.')
}

/** An optional field comes as `anyOf: [X, {type: 'null'}]` from some schemas: the form edits X. */
function effective(schema: JsonSchema): JsonSchema {
  const options = schema.anyOf ?? schema.oneOf
  if (!options) return schema
  const real = options.filter((option) => option.type !== 'null')
  if (real.length !== 1) return schema
  const { anyOf: _a, oneOf: _o, ...outer } = schema
  return { ...effective(real[0]), ...outer }
}

function typeOf(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((type) => type !== 'null')
  if (schema.type) return schema.type
  if (schema.enum) return 'enum'
  if (schema.properties) return 'object'
  return undefined
}

function objectFields(
  schema: JsonSchema,
  parentPath: string[],
  initial: Record<string, unknown>,
  context: BuildContext,
): Field[] {
  const required = new Set(schema.required ?? [])
  return Object.entries(schema.properties ?? {}).map(([key, property]) =>
    buildField(effective(property), [...parentPath, key], required.has(key), initial, context),
  )
}

function buildField(
  schema: JsonSchema,
  pathParts: string[],
  required: boolean,
  initial: Record<string, unknown>,
  context: BuildContext,
): Field {
  const key = pathParts[pathParts.length - 1]
  const written = Object.hasOwn(initial, key)
  const start = written ? initial[key] : undefined
  const spec: FieldSpec = { schema, path: pathParts.join('.'), key, required, written, start, context }
  if (schema['x-jit-secret']) return secretField(spec)
  if (schema.enum) return enumField(spec)
  switch (typeOf(schema)) {
    case 'string':
      return textField(spec)
    case 'integer':
    case 'number':
      return numberField(spec)
    case 'boolean':
      return booleanField(spec)
    case 'array': {
      const items = effective(schema.items ?? {})
      if (items.enum || typeOf(items) === 'string') return stringListField(spec, items)
      return jsonField(spec)
    }
    case 'object':
      if (schema.properties) return objectField(spec)
      return jsonField(spec)
    default:
      return jsonField(spec)
  }
}

interface FieldSpec {
  schema: JsonSchema
  path: string
  key: string
  required: boolean
  /** The config as written has this key. */
  written: boolean
  start: unknown
  context: BuildContext
}

function inputId(path: string): string {
  return `field-${path.replace(/[^A-Za-z0-9_-]/g, '-')}`
}

/** The frame of a field: label (title, key, required mark), the control, description and error slot. */
function frame(
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

function describedBy(spec: FieldSpec): string {
  const id = inputId(spec.path)
  return spec.schema.description ? `${id}-help ${id}-error` : `${id}-error`
}

/** What a field starts with: the written value, else the default. */
function startValue(spec: FieldSpec): unknown {
  return spec.written ? spec.start : spec.schema.default
}

/** Left out when empty, or when at a default the file did not write (a new file stays short). */
function omitted(spec: FieldSpec, value: unknown): boolean {
  if (value === undefined) return true
  if (!spec.written && spec.schema.default !== undefined && sameValue(value, spec.schema.default)) return true
  return false
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function placeholderOf(schema: JsonSchema): string | undefined {
  if (typeof schema.placeholder === 'string') return schema.placeholder
  const examples = schema.examples
  if (Array.isArray(examples) && examples.length > 0) return String(examples[0])
  return undefined
}

function textField(spec: FieldSpec): Field {
  const value = startValue(spec)
  const input = h('input', {
    type: 'text',
    id: inputId(spec.path),
    name: spec.path,
    class: 'input',
    value: typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value),
    placeholder: placeholderOf(spec.schema),
    required: spec.required,
    maxlength: spec.schema.maxLength,
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-describedby': describedBy(spec),
  })
  input.addEventListener('input', spec.context.changed)
  const { node, showError } = frame(spec, input)
  return {
    path: spec.path,
    node,
    showError,
    read() {
      // An empty optional field is left out; an empty required one is sent, for the server to name.
      if (input.value === '' && !spec.required) return undefined
      return omitted(spec, input.value) ? undefined : input.value
    },
  }
}

function numberField(spec: FieldSpec): Field {
  const value = startValue(spec)
  const integer = typeOf(spec.schema) === 'integer'
  const input = h('input', {
    type: 'text',
    inputmode: integer ? 'numeric' : 'decimal',
    id: inputId(spec.path),
    name: spec.path,
    class: 'input input-number',
    value: value === undefined ? '' : String(value),
    placeholder: placeholderOf(spec.schema) ?? rangeHint(spec.schema),
    required: spec.required,
    autocomplete: 'off',
    'aria-describedby': describedBy(spec),
  })
  input.addEventListener('input', spec.context.changed)
  const { node, showError } = frame(spec, input)
  return {
    path: spec.path,
    node,
    showError,
    read() {
      const text = input.value.trim()
      if (text === '') return undefined
      // Not a number: sent as typed, so that the server's message names the field.
      const number = Number(text)
      const parsed = Number.isFinite(number) ? number : text
      return omitted(spec, parsed) ? undefined : parsed
    },
  }
}

function rangeHint(schema: JsonSchema): string | undefined {
  const min = schema.minimum ?? schema.exclusiveMinimum
  const max = schema.maximum ?? schema.exclusiveMaximum
  if (min !== undefined && max !== undefined) return `${min} to ${max}`
  if (min !== undefined) return `at least ${min}`
  if (max !== undefined) return `at most ${max}`
  return undefined
}

function booleanField(spec: FieldSpec): Field {
  const checkbox = h('input', {
    type: 'checkbox',
    id: inputId(spec.path),
    name: spec.path,
    checked: startValue(spec) === true,
    'aria-describedby': describedBy(spec),
  })
  checkbox.addEventListener('change', spec.context.changed)
  const { node, showError } = frame(spec, h('div', { class: 'checkbox-row' }, checkbox))
  node.classList.add('field-boolean')
  return {
    path: spec.path,
    node,
    showError,
    read() {
      const value = checkbox.checked
      // Unticked with no default and not written: the Type's own absence, not an explicit false.
      if (!value && !spec.written && spec.schema.default === undefined && !spec.required) return undefined
      return omitted(spec, value) ? undefined : value
    },
  }
}

function enumField(spec: FieldSpec): Field {
  const value = startValue(spec)
  const options = spec.schema.enum ?? []
  const select = h(
    'select',
    {
      id: inputId(spec.path),
      name: spec.path,
      class: 'input',
      required: spec.required,
      'aria-describedby': describedBy(spec),
    },
    // No default and not required: "not set" is a choice of its own.
    !spec.required && spec.schema.default === undefined ? h('option', { value: '' }, '(not set)') : '',
    ...options.map((option, index) =>
      h('option', { value: String(index), selected: sameValue(option, value) }, String(option)),
    ),
  )
  select.addEventListener('change', spec.context.changed)
  const { node, showError } = frame(spec, select)
  return {
    path: spec.path,
    node,
    showError,
    read() {
      if (select.value === '') return undefined
      const chosen = options[Number(select.value)]
      return omitted(spec, chosen) ? undefined : chosen
    },
  }
}

function stringListField(spec: FieldSpec, items: JsonSchema): Field {
  const start = startValue(spec)
  const list = h('div', { class: 'string-list', id: inputId(spec.path), role: 'group' })
  const addRow = (text: string) => {
    const input = items.enum
      ? h(
          'select',
          { class: 'input', name: `${spec.path}[]`, 'aria-label': `${spec.key} item` },
          ...items.enum.map((option) =>
            h('option', { value: String(option), selected: option === text }, String(option)),
          ),
        )
      : h('input', {
          type: 'text',
          class: 'input',
          name: `${spec.path}[]`,
          value: text,
          placeholder: placeholderOf(items) ?? placeholderOf(spec.schema),
          spellcheck: 'false',
          autocomplete: 'off',
          'aria-label': `${spec.key} item`,
        })
    input.addEventListener('input', spec.context.changed)
    const row = h(
      'div',
      { class: 'string-list-row' },
      input,
      h(
        'button',
        {
          type: 'button',
          class: 'button small ghost',
          'aria-label': 'Remove item',
          onclick: () => {
            row.remove()
            spec.context.changed()
          },
        },
        'Remove',
      ),
    )
    list.appendChild(row)
    return input
  }
  for (const item of Array.isArray(start) ? start : []) addRow(String(item))
  const add = h(
    'button',
    {
      type: 'button',
      class: 'button small',
      onclick: () => {
        addRow('').focus()
        spec.context.changed()
      },
    },
    'Add item',
  )
  const { node, showError } = frame(spec, list, h('div', { class: 'string-list-actions' }, add))
  return {
    path: spec.path,
    node,
    showError,
    read() {
      const values = [...list.querySelectorAll<HTMLInputElement | HTMLSelectElement>('.input')]
        .map((input) => input.value)
        .filter((text) => text !== '')
      if (values.length === 0 && !spec.written && !spec.required) return undefined
      return omitted(spec, values) ? undefined : values
    },
  }
}

function objectField(spec: FieldSpec): Field & { children: Field[] } {
  const start = startValue(spec)
  const startObject =
    start && typeof start === 'object' && !Array.isArray(start) ? (start as Record<string, unknown>) : {}
  const children = objectFields(spec.schema, spec.path.split('.'), startObject, spec.context)
  const error = h('p', { class: 'field-error', hidden: true })
  const node = h(
    'fieldset',
    { class: 'field field-object', 'data-path': spec.path },
    h(
      'legend',
      {},
      spec.schema.title ?? humanize(spec.key),
      spec.required ? h('span', { class: 'required', title: 'required' }, '*') : '',
    ),
    spec.schema.description ? h('p', { class: 'field-help' }, spec.schema.description) : '',
    ...children.map((child) => child.node),
    error,
  )
  return {
    path: spec.path,
    node,
    children,
    showError(message) {
      node.classList.add('has-error')
      error.textContent = message
      error.hidden = false
    },
    read() {
      const value: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(startObject)) {
        if (!spec.schema.properties?.[key]) value[key] = item
      }
      for (const child of children) {
        const item = child.read()
        if (item !== undefined) value[child.path.slice(spec.path.length + 1)] = item
      }
      if (Object.keys(value).length === 0 && !spec.written && !spec.required) return undefined
      return value
    },
  }
}

/** A shape the form does not draw (a union, a map): edited as JSON. */
function jsonField(spec: FieldSpec): Field {
  const start = startValue(spec)
  const area = h('textarea', {
    id: inputId(spec.path),
    name: spec.path,
    class: 'input input-json',
    rows: 3,
    spellcheck: 'false',
    'aria-describedby': describedBy(spec),
  })
  area.value = start === undefined ? '' : JSON.stringify(start, null, 2)
  area.addEventListener('input', spec.context.changed)
  const { node, showError } = frame(spec, area)
  return {
    path: spec.path,
    node,
    showError,
    read() {
      const text = area.value.trim()
      if (text === '') return undefined
      try {
        return JSON.parse(text)
      } catch {
        return text
      }
    },
  }
}

/**
 * A secret: the config holds only a `${NAME}` reference; a value typed here goes to `.env` under that
 * NAME. What is stored is shown as set or unset, and never comes back into the page.
 */
function secretField(spec: FieldSpec): Field {
  const stored = spec.context.secrets[spec.path]
  const startReference =
    typeof spec.start === 'string'
      ? spec.start
      : stored
        ? `\${${stored.ref}}`
        : `\${${suggestedVariable(spec)}}`
  const reference = h('input', {
    type: 'text',
    id: inputId(spec.path),
    name: spec.path,
    class: 'input input-mono',
    value: startReference,
    required: spec.required,
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-describedby': describedBy(spec),
  })
  const secretInput = h('input', {
    type: 'password',
    id: `${inputId(spec.path)}-value`,
    name: `${spec.path}.__value`,
    class: 'input',
    autocomplete: 'new-password',
    placeholder: stored?.set ? 'stored: leave empty to keep it' : 'the value, kept in .env only',
  })
  const status = h('span', { class: 'secret-status' })
  const variable = () => REFERENCE.exec(reference.value.trim())?.[1]
  const showStatus = () => {
    const name = variable()
    const known = stored && name === stored.ref ? stored.set : undefined
    const typed = secretInput.value !== ''
    status.replaceChildren(
      typed
        ? h('span', { class: 'badge badge-info' }, 'will be stored')
        : known === true
          ? h('span', { class: 'badge badge-ok' }, 'set')
          : known === false
            ? h('span', { class: 'badge badge-warn' }, 'unset')
            : h('span', { class: 'badge badge-muted' }, 'read from the environment'),
      name ? h('span', { class: 'secret-variable' }, ' ', h('code', {}, name)) : '',
    )
  }
  reference.addEventListener('input', () => {
    showStatus()
    spec.context.changed()
  })
  secretInput.addEventListener('input', () => {
    showStatus()
    spec.context.changed()
  })
  showStatus()
  const extra = h(
    'div',
    { class: 'secret-value' },
    h('label', { for: secretInput.id, class: 'secret-value-label' }, 'Value to store in .env (optional)'),
    secretInput,
    status,
  )
  const { node, showError } = frame(spec, reference, extra)
  node.classList.add('field-secret')
  return {
    path: spec.path,
    node,
    showError,
    read() {
      const text = reference.value.trim()
      return text === '' ? undefined : text
    },
    secretValue() {
      const name = variable()
      if (!name || secretInput.value === '') return undefined
      return [name, secretInput.value]
    },
  }
}

/** `appSecret` -> `APP_SECRET`, or the variable the schema's placeholder names. */
function suggestedVariable(spec: FieldSpec): string {
  const fromPlaceholder = REFERENCE.exec(String(spec.schema.placeholder ?? ''))?.[1]
  if (fromPlaceholder) return fromPlaceholder
  return spec.path
    .replace(/\./g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
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
function humanize(key: string): string {
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
