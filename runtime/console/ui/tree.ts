import { badge, h } from './dom.ts'
import type { ElementSummary, Kind } from './types.ts'

const KIND_ORDER: Record<Kind, number> = { Meta: 0, Type: 1, Instance: 2, other: 3 }
const KIND_TONE: Record<Kind, string> = { Meta: 'meta', Type: 'type', Instance: 'instance', other: 'muted' }

export interface TreeOptions {
  selected?: string
  filter: string
}

/**
 * Families the user opened or closed. Otherwise a family is open when it holds something of this
 * app's own, a problem or the selected element: the framework's families stay folded.
 */
const toggled = new Map<string, boolean>()

/**
 * The element tree: one group per family, Metas then Types then Instances, each row with its name,
 * kind, Type, layer (the app it comes from), source and validation state.
 */
export function renderTree(elements: ElementSummary[], options: TreeOptions): HTMLElement[] {
  const needle = options.filter.trim().toLowerCase()
  const shown = needle
    ? elements.filter((e) => `${e.fullName} ${e.title} ${e.type}`.toLowerCase().includes(needle))
    : elements
  const families = new Map<string, ElementSummary[]>()
  for (const element of shown) {
    const list = families.get(element.family) ?? []
    list.push(element)
    families.set(element.family, list)
  }
  if (families.size === 0) {
    return [h('p', { class: 'tree-empty' }, needle ? 'No element matches.' : 'This app has no elements yet.')]
  }
  return [...families.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([family, members]) => {
      members.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.fullName.localeCompare(b.fullName))
      const invalid = members.filter((member) => !member.valid).length
      const open =
        toggled.get(family) ??
        (needle !== '' ||
          invalid > 0 ||
          members.some((member) => member.source !== 'inherited' || member.fullName === options.selected))
      const group = h(
        'details',
        { class: 'tree-family', 'data-family': family, open },
        h(
          'summary',
          { class: 'tree-family-name' },
          h('span', {}, family || '(app root)'),
          invalid > 0
            ? badge(`${invalid} invalid`, 'error')
            : h('span', { class: 'tree-family-count' }, String(members.length)),
        ),
        h('ul', {}, ...members.map((member) => treeRow(member, family, options.selected))),
      )
      group.addEventListener('toggle', () => {
        if (group.open !== open) toggled.set(family, group.open)
      })
      return group
    })
}

function treeRow(element: ElementSummary, family: string, selected?: string): HTMLElement {
  const name =
    family && element.fullName.startsWith(`${family}.`)
      ? element.fullName.slice(family.length + 1)
      : element.fullName
  const state = element.valid
    ? h('span', { class: 'state state-ok', title: 'valid', 'aria-label': 'valid' })
    : h('span', {
        class: 'state state-error',
        title: `${element.problems.length} problem${element.problems.length === 1 ? '' : 's'}`,
        'aria-label': 'invalid',
      })
  return h(
    'li',
    {},
    h(
      'a',
      {
        class: `tree-row${element.fullName === selected ? ' selected' : ''}`,
        href: `#/element/${encodeURIComponent(element.fullName)}`,
        'data-fullname': element.fullName,
        'data-valid': element.valid ? 'true' : 'false',
        'aria-current': element.fullName === selected ? 'page' : undefined,
        title: element.title,
      },
      h(
        'span',
        { class: 'tree-row-main' },
        state,
        h('span', { class: 'tree-row-name' }, name),
        badge(element.kind, KIND_TONE[element.kind]),
      ),
      h(
        'span',
        { class: 'tree-row-meta' },
        element.kind === 'Meta'
          ? h('span', {}, 'contract of the family')
          : h(
              'span',
              { class: 'tree-row-type', title: element.type },
              element.kind === 'Type' ? 'extends ' : 'of ',
              shortType(element.type),
            ),
        sourceBadge(element),
        h('span', { class: 'tree-row-layer', title: `from the app ${element.layer}` }, element.layer),
      ),
    ),
  )
}

export function sourceBadge(element: ElementSummary): HTMLElement {
  const tone = element.source === 'own' ? 'own' : element.source === 'overriding' ? 'overriding' : 'inherited'
  const title =
    element.source === 'own'
      ? 'defined in this app'
      : element.source === 'overriding'
        ? 'this app overrides an inherited element'
        : `inherited from ${element.layer}`
  return badge(element.source, tone, title)
}

export function kindBadge(element: ElementSummary): HTMLElement {
  return badge(element.kind, KIND_TONE[element.kind])
}

/** `auths.loginTypes.WechatPublicType` -> `WechatPublicType`: the family is the group's heading. */
function shortType(type: string): string {
  return type.split('.').pop() || type
}
