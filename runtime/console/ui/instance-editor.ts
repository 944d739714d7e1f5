import { type ApiError, api } from './api.ts'
import { type ConfigPanel, configPanel, nonEmpty } from './config-panel.ts'
import { renderDiff } from './diff-view.ts'
import { h } from './dom.ts'
import { confirmAction, notice, toast } from './feedback.ts'
import { store } from './state.ts'
import type { ElementDetail, ElementSummary } from './types.ts'

/** Elements saved from this page: their last save can be undone. */
const undoable = new Set<string>()

/** Delete, after a confirmation: the folder goes to the trash, and the page to the trash list. */
export function deleteButton(fullName: string): HTMLElement {
  const button = h('button', { type: 'button', class: 'button danger ghost', id: 'delete' }, 'Delete')
  button.addEventListener('click', async () => {
    const yes = await confirmAction(
      `Delete ${fullName}?`,
      'Its folder moves to the trash (.jitlite/trash in the app); you can restore it from there.',
      'Move to trash',
    )
    if (!yes) return
    try {
      await api.remove(fullName)
      undoable.delete(fullName)
      toast(`Moved ${fullName} to the trash`)
      await store.refresh().catch(() => undefined)
      location.hash = '#/trash'
    } catch (error) {
      toast(`Not deleted: ${(error as Error).message}`, 'error')
    }
  })
  return button
}

/**
 * An own Instance in its form: diff before saving, a save refused when the files changed on disk, undo
 * of the last save, delete. Returns what stops following the disk.
 */
export async function renderEditor(slot: HTMLElement, summary: ElementSummary): Promise<() => void> {
  const fullName = summary.fullName
  let detail: ElementDetail
  let panel: ConfigPanel
  let stopped = false
  // While this page saves or undoes, the disk changes because of it: not a change to warn about.
  let busy = false
  const banner = h('div', { class: 'editor-banner' })
  const editing = h('div', { class: 'editing' })
  const review = h('div', { class: 'review', hidden: true })
  slot.replaceChildren(banner, editing, review)

  const load = async () => {
    detail = await api.element(fullName)
    const type = await api.type(detail.type, fullName.split('.').pop())
    panel = configPanel(type, { initial: detail.config, secrets: detail.secrets })
    // "Nothing was saved" is about the values sent; a change on disk stays said until a reload.
    panel.onChange(() => {
      if (banner.querySelector('[data-kind="invalid"]')) banner.replaceChildren()
    })
    banner.replaceChildren()
    review.hidden = true
    editing.hidden = false
    editing.replaceChildren(titleField(), panel.node, toolbar())
  }
  const titleInput = h('input', {
    type: 'text',
    id: 'instance-title',
    name: 'title',
    class: 'input',
    autocomplete: 'off',
  })
  const titleField = () => {
    titleInput.value = store.find(fullName)?.title ?? summary.title
    return h(
      'section',
      { class: 'card name-card' },
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
    )
  }
  const title = () => {
    const text = titleInput.value.trim()
    return text && text !== summary.title ? text : undefined
  }

  const fileChanged = () =>
    notice(
      'warn',
      'The files changed on disk since this form loaded them',
      [
        'Your edits were not saved, so that they do not overwrite the change. Reload to edit what is on disk now.',
      ],
      [
        h(
          'button',
          { type: 'button', class: 'button primary', id: 'reload', onclick: () => void load() },
          'Reload from disk',
        ),
      ],
    )

  const toolbar = () => {
    const reviewButton = h(
      'button',
      { type: 'button', class: 'button primary', id: 'review' },
      'Review changes',
    )
    reviewButton.addEventListener('click', () => void showReview())
    const undo = h(
      'button',
      { type: 'button', class: 'button', id: 'undo', hidden: !undoable.has(fullName) },
      'Undo last save',
    )
    undo.addEventListener('click', async () => {
      busy = true
      try {
        await api.undo(fullName)
        undoable.delete(fullName)
        toast('Restored the files as they were before the last save')
        await load()
      } catch (error) {
        const failure = error as ApiError
        toast(failure.status === 404 ? 'Nothing to undo' : `Not undone: ${failure.message}`, 'error')
      } finally {
        busy = false
      }
    })
    return h(
      'div',
      { class: 'submit-bar' },
      deleteButton(fullName),
      h('span', { class: 'spacer' }),
      undo,
      reviewButton,
    )
  }

  const showReview = async () => {
    panel.clearErrors()
    banner.replaceChildren()
    const config = panel.config()
    if (!config.ok) {
      banner.replaceChildren(notice('error', 'The config cannot be read', [config.message]))
      return
    }
    let files: Awaited<ReturnType<typeof api.diff>>['files']
    try {
      files = (await api.diff(fullName, { config: config.value, title: title() })).files
    } catch (error) {
      showSaveError(error as ApiError)
      return
    }
    const secretValues = nonEmpty(panel.secretValues())
    const save = h('button', { type: 'button', class: 'button primary', id: 'save' }, 'Save')
    const back = h('button', { type: 'button', class: 'button ghost', id: 'back' }, 'Keep editing')
    back.addEventListener('click', () => {
      review.hidden = true
      editing.hidden = false
    })
    save.addEventListener('click', async () => {
      save.disabled = true
      busy = true
      try {
        await api.save(fullName, {
          config: config.value,
          title: title(),
          baseHash: detail.hash,
          secretValues,
        })
        undoable.add(fullName)
        toast(`Saved ${fullName}`)
        await load()
      } catch (error) {
        review.hidden = true
        editing.hidden = false
        showSaveError(error as ApiError)
      } finally {
        save.disabled = false
        busy = false
      }
    })
    const nothing = files.every((file) => file.before === file.after)
    review.replaceChildren(
      h(
        'section',
        { class: 'card review-card' },
        h('h2', {}, 'Review changes'),
        h(
          'p',
          { class: 'muted' },
          nothing && !secretValues ? 'The files would not change.' : 'What the save writes, file by file:',
        ),
        renderDiff(files),
        secretValues
          ? h(
              'p',
              { class: 'muted' },
              `.env: a value for ${Object.keys(secretValues).join(', ')} (not shown)`,
            )
          : '',
        h('div', { class: 'submit-bar' }, back, h('span', { class: 'spacer' }), save),
      ),
    )
    editing.hidden = true
    review.hidden = false
    save.focus()
  }

  const showSaveError = (failure: ApiError) => {
    if (failure.status === 409) {
      banner.replaceChildren(fileChanged())
    } else if (failure.status === 422) {
      panel.showErrors(failure.fieldErrors)
      const invalid = notice('error', 'Nothing was saved', ['Fix the fields marked in red.'])
      invalid.dataset.kind = 'invalid'
      banner.replaceChildren(invalid)
    } else {
      banner.replaceChildren(notice('error', 'Not saved', [failure.message, h('code', {}, failure.code)]))
    }
  }

  // A change on disk while the form is open is said at once; the save would be refused anyway.
  const stop = store.subscribe(async () => {
    if (stopped || busy || !detail) return
    try {
      const now = await api.element(fullName)
      if (!stopped && !busy && now.hash !== detail.hash && banner.childElementCount === 0)
        banner.replaceChildren(fileChanged())
    } catch {
      // Deleted on disk: the tree shows it; the save will say so.
    }
  })
  await load()
  return () => {
    stopped = true
    stop()
  }
}
