import { api } from './api.ts'
import { h, replaceChildren } from './dom.ts'
import { notice, toast } from './feedback.ts'
import { store } from './state.ts'

/** Deleted elements (folders moved to `.jitlite/trash/`), newest first, each restorable. */
export async function renderTrash(pane: HTMLElement): Promise<void> {
  const entries = await api.trash()
  entries.sort((a, b) => new Date(b.deletedAt).getTime() - new Date(a.deletedAt).getTime())
  replaceChildren(
    pane,
    h(
      'header',
      { class: 'pane-header' },
      h('h1', {}, 'Trash'),
      h(
        'p',
        { class: 'muted' },
        'Deleted elements are folders moved to .jitlite/trash/ in the app. Restoring puts a folder back where it was.',
      ),
    ),
    entries.length === 0
      ? h('p', { class: 'card muted' }, 'The trash is empty.')
      : h(
          'ul',
          { class: 'card trash-list' },
          ...entries.map((entry) => {
            const restore = h(
              'button',
              { type: 'button', class: 'button small', 'data-trash': entry.trashId },
              'Restore',
            )
            restore.addEventListener('click', async () => {
              restore.disabled = true
              try {
                await api.restore(entry.trashId)
                toast(`Restored ${entry.fullName}`)
                await store.refresh().catch(() => undefined)
                location.hash = `#/element/${encodeURIComponent(entry.fullName)}`
              } catch (error) {
                restore.disabled = false
                pane.prepend(
                  notice('error', `${entry.fullName} was not restored`, [(error as Error).message]),
                )
              }
            })
            return h(
              'li',
              { class: 'trash-entry' },
              h('code', {}, entry.fullName),
              h('span', { class: 'muted' }, `deleted ${new Date(entry.deletedAt).toLocaleString()}`),
              restore,
            )
          }),
        ),
  )
}
