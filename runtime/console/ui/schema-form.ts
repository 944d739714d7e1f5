import { h } from './dom.ts'
import {
  type BuildContext,
  describedBy,
  effective,
  type Field,
  type FieldSpec,
  frame,
  humanize,
  inputId,
  omitted,
  placeholderOf,
  sameValue,
  startValue,
  typeOf,
} from './field-frame.ts'
import { secretField } from './secret-field.ts'
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
