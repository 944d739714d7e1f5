import { byId, h } from './dom.ts'

let toastTimer: ReturnType<typeof setTimeout> | undefined

/** A short message at the bottom of the page. */
export function toast(message: string, tone: 'ok' | 'error' = 'ok'): void {
  const node = byId('toast')
  node.textContent = message
  node.dataset.tone = tone
  node.hidden = false
  clearTimeout(toastTimer)
  toastTimer = setTimeout(() => {
    node.hidden = true
  }, 4000)
}

/** Asks before something is done; resolves true when the user confirms. */
export function confirmAction(title: string, text: string, action: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm')
  byId('confirm-title').textContent = title
  byId('confirm-text').textContent = text
  byId('confirm-ok').textContent = action
  dialog.returnValue = ''
  dialog.showModal()
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true })
  })
}

/** A notice inside a view: a message, optional detail lines and buttons. */
export function notice(
  tone: 'ok' | 'error' | 'warn' | 'info',
  title: string,
  lines: Array<string | Node> = [],
  actions: HTMLElement[] = [],
): HTMLElement {
  return h(
    'div',
    { class: `notice notice-${tone}`, role: tone === 'error' || tone === 'warn' ? 'alert' : 'status' },
    h('strong', { class: 'notice-title' }, title),
    ...lines.map((line) => h('p', {}, line)),
    actions.length > 0 ? h('div', { class: 'notice-actions' }, ...actions) : '',
  )
}
