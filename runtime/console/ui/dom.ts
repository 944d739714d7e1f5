/** A small element builder: the console has no framework, and builds nodes, never HTML strings. */

type Child = Node | string | number | false | null | undefined
type Attributes = Record<string, string | number | boolean | EventListener | undefined | null>

/**
 * `h('button', { class: 'button', onclick: save }, 'Save')`: attributes are set as attributes
 * (`on*` as listeners, `true` as an empty attribute, `false`/`null`/`undefined` left out), children are
 * appended, strings as text.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2), value)
    } else if (value === true) {
      node.setAttribute(name, '')
    } else {
      node.setAttribute(name, String(value))
    }
  }
  append(node, children)
  return node
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)))
  }
}

/** Replaces everything inside `parent` with `children`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren()
  append(parent, children)
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id)
  if (!node) throw new Error(`the page has no #${id}`)
  return node as T
}

/** A badge: a short label in a pill, coloured by its `tone`. */
export function badge(text: string, tone: string, title?: string): HTMLElement {
  return h('span', { class: `badge badge-${tone}`, title }, text)
}

/** A button that copies `text` to the clipboard and says so. */
export function copyButton(text: string, label = 'Copy'): HTMLButtonElement {
  const button = h(
    'button',
    { type: 'button', class: 'button small ghost copy', 'aria-label': `${label}: ${text}` },
    label,
  )
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text)
      button.textContent = 'Copied'
    } catch {
      // Without clipboard permission (plain http on another host), select the text for Ctrl+C instead.
      const range = document.createRange()
      const target = button.previousElementSibling
      if (target) range.selectNodeContents(target)
      getSelection()?.removeAllRanges()
      getSelection()?.addRange(range)
      button.textContent = 'Press Ctrl+C'
    }
    setTimeout(() => {
      button.textContent = label
    }, 1500)
  })
  return button
}
