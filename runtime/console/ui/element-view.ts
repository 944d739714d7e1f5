import { type ApiError, api } from './api.ts'
import { badge, h, replaceChildren } from './dom.ts'
import { notice, toast } from './feedback.ts'
import { deleteButton, renderEditor } from './instance-editor.ts'
import { store } from './state.ts'
import { kindBadge, sourceBadge } from './tree.ts'
import type { ElementDetail, ElementSummary, Problem } from './types.ts'

/**
 * One element: its place (kind, Type, layer, source), its problems, and what can be done with it: an
 * own Instance is edited in its form (diff before saving, undo, delete); an inherited one is overridden.
 * Returns what stops the view's subscriptions when another view replaces it.
 */
export async function renderElement(pane: HTMLElement, fullName: string): Promise<() => void> {
  const summary = store.find(fullName)
  if (!summary) {
    replaceChildren(
      pane,
      notice(
        'warn',
        `No element ${fullName}`,
        ['It may have been deleted or renamed on disk.'],
        [h('a', { class: 'button', href: '#/trash' }, 'Open the trash')],
      ),
    )
    return () => undefined
  }
  const header = elementHeader(summary)
  const problems = problemList(summary.problems)
  const body = h('div', { class: 'element-body' })
  replaceChildren(pane, header, problems, body)
  // The tree's state of this element follows the disk (a fix made in an editor clears its problems).
  const stopHeader = store.subscribe(() => {
    const now = store.find(fullName)
    if (!now) return
    header.replaceWith(elementHeaderFor(now, header))
    problems.replaceChildren(...problemList(now.problems).childNodes)
  })
  if (!summary.editable) {
    body.append(readOnly(summary))
    void filesCard(summary.fullName).then((card) => card && body.append(card))
    return stopHeader
  }
  const stopEditor = await renderEditor(body, summary)
  return () => {
    stopHeader()
    stopEditor()
  }
}

function elementHeaderFor(summary: ElementSummary, old: HTMLElement): HTMLElement {
  const next = elementHeader(summary)
  next.id = old.id
  return next
}

function elementHeader(summary: ElementSummary): HTMLElement {
  return h(
    'header',
    { class: 'pane-header element-header' },
    h('h1', {}, summary.title || summary.fullName),
    h(
      'div',
      { class: 'element-facts' },
      h('code', { class: 'fullname' }, summary.fullName),
      kindBadge(summary),
      sourceBadge(summary),
      summary.valid
        ? badge('valid', 'ok')
        : badge(`${summary.problems.length} problem${summary.problems.length === 1 ? '' : 's'}`, 'error'),
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Type'),
      h('dd', {}, summary.kind === 'Meta' ? '(a Meta: the contract of its family)' : typeLink(summary.type)),
      h('dt', {}, 'Family'),
      h('dd', {}, summary.family || '(app root)'),
      h('dt', {}, 'Layer'),
      h('dd', {}, summary.layer, summary.source === 'inherited' ? ' (an app this one extends)' : ''),
    ),
  )
}

function typeLink(type: string): HTMLElement {
  return store.find(type)
    ? h('a', { href: `#/element/${encodeURIComponent(type)}` }, h('code', {}, type))
    : h('code', {}, type)
}

function problemList(problems: Problem[]): HTMLElement {
  if (problems.length === 0) return h('div', { class: 'problems' })
  return h(
    'div',
    { class: 'problems' },
    h(
      'div',
      { class: 'notice notice-error', role: 'alert' },
      h(
        'strong',
        { class: 'notice-title' },
        problems.length === 1 ? 'A problem' : `${problems.length} problems`,
      ),
      h(
        'ul',
        { class: 'problem-list' },
        ...problems.map((problem) =>
          h(
            'li',
            { class: 'problem' },
            h(
              'span',
              { class: 'problem-place' },
              h('code', {}, problem.file ?? ''),
              problem.field ? h('code', { class: 'problem-field' }, problem.field) : '',
            ),
            h('span', { class: 'problem-message' }, problem.message),
            badge(problem.code, 'error'),
          ),
        ),
      ),
    ),
  )
}

/** An element the console does not edit: its e.json and config as they are on disk, to read. */
async function filesCard(fullName: string): Promise<HTMLElement | undefined> {
  let detail: ElementDetail
  try {
    detail = await api.element(fullName)
  } catch {
    return undefined
  }
  const names = Object.keys(detail.files)
  if (names.length === 0) return undefined
  return h(
    'section',
    { class: 'card files-card' },
    h('h2', {}, 'Files'),
    ...names.map((name) =>
      h(
        'section',
        { class: 'diff-file', 'data-file': name },
        h('h4', { class: 'diff-file-name' }, name),
        h('pre', { class: 'file-body' }, detail.files[name]),
      ),
    ),
  )
}

function readOnly(summary: ElementSummary): HTMLElement {
  const actions: HTMLElement[] = []
  const result = h('div', { class: 'override-result' })
  if (summary.source === 'inherited' && (summary.kind === 'Instance' || summary.kind === 'Type')) {
    const button = h(
      'button',
      { type: 'button', class: 'button primary', id: 'override' },
      'Override in this app',
    )
    button.addEventListener('click', async () => {
      button.disabled = true
      try {
        const created = await api.override(summary.fullName)
        toast(`${created.fullName} is now overridden in this app`)
        result.replaceChildren(
          notice('ok', 'Override written', [
            'Files written in this app, ready to edit:',
            h(
              'span',
              {},
              ...Object.keys(created.files).flatMap((file, i) => [i > 0 ? ', ' : '', h('code', {}, file)]),
            ),
          ]),
        )
        await store.refresh().catch(() => undefined)
      } catch (error) {
        result.replaceChildren(
          notice('error', 'Not overridden', [
            (error as Error).message,
            h('code', {}, (error as ApiError).code),
          ]),
        )
      } finally {
        button.disabled = false
      }
    })
    actions.push(button)
  }
  if (summary.source !== 'inherited') actions.push(deleteButton(summary.fullName))
  const explanation =
    summary.source === 'inherited'
      ? summary.kind === 'Type'
        ? 'This Type comes from an app this one extends. Overriding writes a folder in this app whose type.ts imports it and extends it.'
        : 'This element comes from an app this one extends. Overriding copies it into this app, where you can edit it.'
      : summary.kind === 'Instance'
        ? 'This Instance has no business config file to edit here; edit its files in your editor.'
        : "Edit this element's files in your editor: the tree follows the disk."
  return h(
    'section',
    { class: 'card' },
    h('p', {}, explanation),
    actions.length > 0 ? h('div', { class: 'actions' }, ...actions) : '',
    result,
  )
}
