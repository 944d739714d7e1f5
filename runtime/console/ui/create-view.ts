import { type ApiError, api } from './api.ts'
import { type ConfigPanel, configPanel, nonEmpty } from './config-panel.ts'
import { h, replaceChildren } from './dom.ts'
import { notice, toast } from './feedback.ts'
import { store } from './state.ts'
import type { Family, TypeInfo } from './types.ts'

/** A folder name that can be part of a fullName: the server checks it again, with clashes. */
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/

/**
 * Create an Instance as JitAi does: a family, then a Type, then a name, then the form generated from
 * the Type's schema. Nothing is written until the server accepts the whole config.
 */
export async function renderCreate(
  pane: HTMLElement,
  preselect: { family?: string; type?: string },
): Promise<void> {
  const families = await api.families()
  const familyStep = h('div', { class: 'choices', role: 'group', 'aria-label': 'Family' })
  const typeStep = h('div', { class: 'choices', role: 'group', 'aria-label': 'Type' })
  const formStep = h('div', { class: 'form-step' })
  replaceChildren(
    pane,
    h(
      'header',
      { class: 'pane-header' },
      h('h1', {}, 'New Instance'),
      h(
        'p',
        { class: 'muted' },
        'Pick a family and a Type, name the Instance and fill in its config. The console writes e.json and <Name>.json, the files you would write by hand; hot reload loads them. From a terminal: ',
        h('code', {}, 'jit new <Type> <Name> --set key=value'),
      ),
    ),
    h(
      'section',
      { class: 'step' },
      h('h2', {}, h('span', { class: 'step-number' }, '1'), 'Family'),
      familyStep,
    ),
    h(
      'section',
      { class: 'step', id: 'step-type', hidden: true },
      h('h2', {}, h('span', { class: 'step-number' }, '2'), 'Type'),
      typeStep,
    ),
    formStep,
  )
  if (families.length === 0) {
    familyStep.append(
      h('p', { class: 'muted' }, 'No Type in this app or the apps it extends can make an Instance.'),
    )
    return
  }

  // Choosing again what is chosen keeps the form and what was typed in it; a slow answer for a Type
  // chosen before another one is dropped.
  let chosenFamily: string | undefined
  let chosenType: string | undefined
  const chooseFamily = (family: Family) => {
    if (family.family === chosenFamily) return
    chosenFamily = family.family
    chosenType = undefined
    markChosen(familyStep, family.family)
    replaceChildren(
      typeStep,
      ...family.types.map((type) =>
        choice(type.fullName, type.title, type.fullName, () => void chooseType(type.fullName)),
      ),
    )
    ;(pane.querySelector('#step-type') as HTMLElement).hidden = false
    formStep.replaceChildren()
    if (family.types.length === 1) void chooseType(family.types[0].fullName)
  }
  const chooseType = async (fullName: string) => {
    if (fullName === chosenType) return
    chosenType = fullName
    markChosen(typeStep, fullName)
    formStep.replaceChildren(h('p', { class: 'muted' }, 'Loading the Type…'))
    try {
      const type = await api.type(fullName)
      if (chosenType === fullName) renderForm(formStep, type)
    } catch (error) {
      if (chosenType !== fullName) return
      formStep.replaceChildren(notice('error', 'The Type cannot be loaded', [(error as Error).message]))
    }
  }

  replaceChildren(
    familyStep,
    ...families.map((family) =>
      choice(
        family.family,
        family.title || family.family,
        `${family.types.length} Type${family.types.length === 1 ? '' : 's'}`,
        () => chooseFamily(family),
      ),
    ),
  )
  const wanted =
    families.find((family) => family.family === preselect.family) ??
    families.find((family) => family.types.some((type) => type.fullName === preselect.type)) ??
    (families.length === 1 ? families[0] : undefined)
  if (wanted) {
    chooseFamily(wanted)
    if (
      preselect.type &&
      wanted.types.length > 1 &&
      wanted.types.some((type) => type.fullName === preselect.type)
    ) {
      await chooseType(preselect.type)
    }
  }
}

function choice(value: string, title: string, detail: string, onChoose: () => void): HTMLElement {
  return h(
    'button',
    { type: 'button', class: 'choice', 'data-value': value, 'aria-pressed': 'false', onclick: onChoose },
    h('span', { class: 'choice-title' }, title),
    h('span', { class: 'choice-detail' }, detail),
  )
}

function markChosen(group: HTMLElement, value: string): void {
  for (const button of group.querySelectorAll<HTMLElement>('.choice')) {
    button.setAttribute('aria-pressed', String(button.dataset.value === value))
  }
}

function renderForm(slot: HTMLElement, type: TypeInfo): void {
  const family = type.family
  const nameInput = h('input', {
    type: 'text',
    id: 'instance-name',
    name: 'name',
    class: 'input input-mono',
    placeholder: 'MyInstance',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'instance-name-help instance-name-error',
  })
  const titleInput = h('input', {
    type: 'text',
    id: 'instance-title',
    name: 'title',
    class: 'input',
    placeholder: type.title,
    autocomplete: 'off',
  })
  const fullName = h('code', { class: 'fullname-preview' }, `${family}.…`)
  const nameError = h('p', { class: 'field-error', id: 'instance-name-error', hidden: true })
  const nameField = h(
    'div',
    { class: 'field', 'data-path': '(name)' },
    h(
      'label',
      { class: 'field-label', for: 'instance-name' },
      h('span', { class: 'field-title' }, 'Name'),
      h('span', { class: 'required', title: 'required' }, '*'),
    ),
    nameInput,
    h(
      'p',
      { class: 'field-help', id: 'instance-name-help' },
      'The folder name: a letter, then letters, digits or _. Full name: ',
      fullName,
    ),
    nameError,
  )
  const showNameError = (message: string) => {
    nameField.classList.add('has-error')
    nameError.textContent = message
    nameError.hidden = false
  }
  const panel: ConfigPanel = configPanel(type)
  nameInput.addEventListener('input', () => {
    fullName.textContent = `${family}.${nameInput.value || '…'}`
    nameField.classList.remove('has-error')
    nameError.hidden = true
    if (NAME.test(nameInput.value.trim()) || nameInput.value === '') panel.showHelpFor(nameInput.value.trim())
  })
  const status = h('div', { class: 'submit-status' })
  // "Nothing was written" is about the values sent; once they change it would only mislead.
  panel.onChange(() => status.replaceChildren())
  const create = h('button', { type: 'submit', class: 'button primary', id: 'create-instance' }, 'Create')
  const form = h(
    'form',
    { class: 'create-form', novalidate: true },
    h(
      'section',
      { class: 'step' },
      h('h2', {}, h('span', { class: 'step-number' }, '3'), 'Name'),
      h(
        'div',
        { class: 'card name-card' },
        nameField,
        h(
          'div',
          { class: 'field' },
          h(
            'label',
            { class: 'field-label', for: 'instance-title' },
            h('span', { class: 'field-title' }, 'Title'),
            h('code', { class: 'field-key' }, 'e.json title'),
          ),
          titleInput,
        ),
      ),
    ),
    h(
      'section',
      { class: 'step' },
      h('h2', {}, h('span', { class: 'step-number' }, '4'), 'Config'),
      panel.node,
    ),
    h('div', { class: 'submit-bar' }, status, create),
  )
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    panel.clearErrors()
    nameField.classList.remove('has-error')
    nameError.hidden = true
    status.replaceChildren()
    const name = nameInput.value.trim()
    if (!NAME.test(name)) {
      showNameError(
        'A name starts with a letter and holds only letters, digits and _ (it becomes a folder name).',
      )
      nameInput.focus()
      return
    }
    const config = panel.config()
    if (!config.ok) {
      status.replaceChildren(notice('error', 'The config cannot be read', [config.message]))
      return
    }
    create.disabled = true
    try {
      const created = await api.create({
        type: type.fullName,
        name,
        title: titleInput.value.trim() || undefined,
        config: config.value,
        secretValues: nonEmpty(panel.secretValues()),
      })
      toast(`Created ${created.fullName}`)
      await store.refresh().catch(() => undefined)
      location.hash = `#/element/${encodeURIComponent(created.fullName)}`
    } catch (error) {
      const failure = error as ApiError
      if (failure.status === 422) {
        panel.showErrors(failure.fieldErrors)
        status.replaceChildren(
          notice('error', 'Nothing was written', ['Fix the fields marked in red, then create again.']),
        )
      } else if (failure.status === 409 || failure.status === 400) {
        showNameError(
          failure.message ||
            (failure.status === 409 ? 'An element with this name exists.' : 'This name cannot be used.'),
        )
        nameInput.focus()
      } else {
        status.replaceChildren(
          notice('error', 'The Instance was not created', [failure.message, h('code', {}, failure.code)]),
        )
      }
    } finally {
      create.disabled = false
    }
  })
  slot.replaceChildren(form)
  nameInput.focus()
}
