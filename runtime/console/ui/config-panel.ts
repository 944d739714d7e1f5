import { type ApiError, api } from './api.ts'
import { copyButton, h } from './dom.ts'
import { notice } from './feedback.ts'
import { buildSchemaForm, type SchemaForm } from './schema-form.ts'
import type { ElementDetail, TypeInfo } from './types.ts'

/**
 * The business config of an Instance as a form generated from its Type's schema, with a JSON source
 * view (a toggle), and beside it the Type's help (values to copy) and "Test connection".
 */
export interface ConfigPanel {
  readonly node: HTMLElement
  /** The config, or the reason the source view's JSON cannot be read. */
  config(): { ok: true; value: Record<string, unknown> } | { ok: false; message: string }
  secretValues(): Record<string, string>
  /** Shows the server's errors on their fields (in the source view, as a list). */
  showErrors(fieldErrors: Record<string, string>): void
  clearErrors(): void
  onChange(listener: () => void): void
  /** Redraws the Type's help for an Instance of this name. */
  showHelpFor(instanceName: string): void
}

export function configPanel(
  type: TypeInfo,
  options: { initial?: Record<string, unknown>; secrets?: ElementDetail['secrets'] } = {},
): ConfigPanel {
  const listeners: Array<() => void> = []
  const changed = () => {
    for (const listener of listeners) listener()
  }
  let form: SchemaForm = newForm(options.initial)
  let mode: 'form' | 'source' = 'form'

  function newForm(initial?: Record<string, unknown>): SchemaForm {
    const built = buildSchemaForm(type.schema, { initial, secrets: options.secrets })
    built.onChange(changed)
    return built
  }

  const formSlot = h('div', { class: 'form-slot' }, form.element)
  const source = h('textarea', {
    class: 'input source',
    id: 'config-source',
    'aria-label': 'Config source (JSON)',
    spellcheck: 'false',
    rows: 18,
  })
  source.addEventListener('input', changed)
  const sourceErrors = h('div', { class: 'form-errors', role: 'alert', hidden: true })
  const sourceSlot = h(
    'div',
    { class: 'source-slot', hidden: true },
    h(
      'p',
      { class: 'muted' },
      'The business config file as JSON. Secret fields hold a ${NAME} reference only.',
    ),
    sourceErrors,
    source,
  )
  const formTab = h('button', { type: 'button', class: 'tab', role: 'tab', 'aria-selected': 'true' }, 'Form')
  const sourceTab = h(
    'button',
    { type: 'button', class: 'tab', role: 'tab', 'aria-selected': 'false' },
    'Source',
  )
  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Config view' }, formTab, sourceTab)

  const parseSource = (): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } => {
    try {
      const value = JSON.parse(source.value)
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        return { ok: false, message: 'The config is a JSON object: { "field": value, ... }' }
      }
      return { ok: true, value }
    } catch (error) {
      return { ok: false, message: `Not valid JSON: ${(error as Error).message}` }
    }
  }
  const showSourceError = (message: string) => {
    sourceErrors.replaceChildren(h('p', {}, message))
    sourceErrors.hidden = false
  }

  formTab.addEventListener('click', () => {
    if (mode === 'form') return
    const parsed = parseSource()
    if (!parsed.ok) {
      showSourceError(parsed.message)
      return
    }
    // The form is rebuilt from what the source view holds; typed secret values are not kept.
    form = newForm(parsed.value)
    formSlot.replaceChildren(form.element)
    switchTo('form')
  })
  sourceTab.addEventListener('click', () => {
    if (mode === 'source') return
    source.value = `${JSON.stringify(form.value(), null, 2)}\n`
    sourceErrors.hidden = true
    switchTo('source')
  })
  function switchTo(next: 'form' | 'source') {
    mode = next
    formTab.setAttribute('aria-selected', String(next === 'form'))
    sourceTab.setAttribute('aria-selected', String(next === 'source'))
    formSlot.hidden = next !== 'form'
    sourceSlot.hidden = next !== 'source'
  }

  const main = h('section', { class: 'card config-card' }, tabs, formSlot, sourceSlot)
  let help = helpCard(type)
  // The check is small and is what one comes back to; the help below it is read once.
  const aside = h('aside', { class: 'side' }, type.canCheck ? checkCard(type, () => panel) : '', help)
  let helpTimer: ReturnType<typeof setTimeout> | undefined
  let helpFor = ''
  const panel: ConfigPanel = {
    node: h('div', { class: 'config-layout' }, main, aside),
    config() {
      return mode === 'form' ? { ok: true, value: form.value() } : parseSource()
    },
    secretValues() {
      return mode === 'form' ? form.secretValues() : {}
    },
    showErrors(fieldErrors) {
      if (mode === 'form') {
        form.showErrors(fieldErrors)
        return
      }
      sourceErrors.replaceChildren(
        ...Object.entries(fieldErrors).map(([path, message]) =>
          h('p', {}, h('code', {}, path || '(config)'), ': ', message),
        ),
      )
      sourceErrors.hidden = false
    },
    clearErrors() {
      form.clearErrors()
      sourceErrors.hidden = true
    },
    onChange(listener) {
      listeners.push(listener)
    },
    showHelpFor(instanceName) {
      // The server names the Instance in its help (a callback URL); asked once typing pauses.
      clearTimeout(helpTimer)
      helpTimer = setTimeout(async () => {
        if (instanceName === helpFor) return
        helpFor = instanceName
        try {
          const named = await api.type(type.fullName, instanceName || undefined)
          if (helpFor !== instanceName) return
          const next = helpCard(named)
          help.replaceWith(next)
          help = next
        } catch {
          // A name the server refuses: the help keeps its placeholder, the name field says why at create.
        }
      }, 250)
    },
  }
  return panel
}

function helpCard(type: TypeInfo): HTMLElement {
  const help = type.help
  return h(
    'section',
    { class: 'card help-card', 'aria-label': 'Type help' },
    h('h3', {}, type.title || type.fullName),
    h('p', { class: 'muted' }, h('code', {}, type.fullName)),
    // What to copy first; the explanation after it.
    help && help.items.length > 0
      ? h(
          'dl',
          { class: 'help-items' },
          ...help.items.flatMap((item) => [
            h('dt', {}, item.label),
            h(
              'dd',
              {},
              h('code', { class: 'help-value' }, item.value),
              item.copy ? copyButton(item.value) : '',
            ),
          ]),
        )
      : '',
    help?.text ? h('p', { class: 'help-text' }, help.text) : '',
    !help ? h('p', { class: 'muted' }, 'This Type brings no help of its own.') : '',
  )
}

/** "Test connection": the Type's check of the config the form holds now, secrets typed included. */
function checkCard(type: TypeInfo, panel: () => ConfigPanel): HTMLElement {
  const result = h('div', { class: 'check-result', 'aria-live': 'polite' })
  const button = h('button', { type: 'button', class: 'button', id: 'test-connection' }, 'Test connection')
  button.addEventListener('click', async () => {
    const config = panel().config()
    if (!config.ok) {
      result.replaceChildren(notice('error', 'The config cannot be read', [config.message]))
      return
    }
    button.disabled = true
    result.replaceChildren(h('p', { class: 'muted' }, 'Testing…'))
    try {
      const answer = await api.checkType(type.fullName, {
        config: config.value,
        secretValues: nonEmpty(panel().secretValues()),
      })
      result.replaceChildren(
        answer.ok
          ? notice('ok', 'Connection works', [answer.message])
          : notice(
              'error',
              'Connection failed',
              [
                answer.message,
                answer.fix ? `Fix: ${answer.fix}` : '',
                answer.code ? h('code', {}, answer.code) : '',
              ].filter(Boolean) as Array<string | Node>,
            ),
      )
    } catch (error) {
      const failure = error as ApiError
      result.replaceChildren(
        notice('error', 'Connection failed', [failure.message, h('code', {}, failure.code)]),
      )
      if (Object.keys(failure.fieldErrors ?? {}).length > 0) panel().showErrors(failure.fieldErrors)
    } finally {
      button.disabled = false
    }
  })
  return h(
    'section',
    { class: 'card check-card' },
    h('h3', {}, 'Test connection'),
    h('p', { class: 'muted' }, 'Checks the values in the form against the provider, before or after saving.'),
    button,
    result,
  )
}

export function nonEmpty(values: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(values).length > 0 ? values : undefined
}
