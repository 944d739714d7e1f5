import { h } from './dom.ts'
import { describedBy, type Field, type FieldSpec, frame, inputId } from './field-frame.ts'

/** A `${NAME}` or `${NAME:-default}` reference: what a secret field holds. */
const REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}$/

/**
 * A secret: the config holds only a `${NAME}` reference; a value typed here goes to `.env` under that
 * NAME. What is stored is shown as set or unset, and never comes back into the page.
 */
export function secretField(spec: FieldSpec): Field {
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
