import { badge, h, replaceChildren } from './dom.ts'
import { store } from './state.ts'

/** The app at a glance: where it is, what it extends, and every problem of its elements. */
export function renderHome(pane: HTMLElement): () => void {
  const draw = () => {
    const app = store.app
    const elements = store.elements
    const invalid = elements.filter((element) => !element.valid)
    const own = elements.filter((element) => element.source !== 'inherited').length
    replaceChildren(
      pane,
      h(
        'header',
        { class: 'pane-header' },
        h('h1', {}, app?.title ?? 'jitlite app'),
        app ? h('p', { class: 'muted' }, h('code', {}, app.dir)) : '',
      ),
      h(
        'div',
        { class: 'stats' },
        stat(String(elements.length), 'elements'),
        stat(String(own), 'in this app'),
        stat(String(invalid.length), 'with problems', invalid.length > 0 ? 'error' : 'ok'),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Problems'),
        invalid.length === 0
          ? h('p', { class: 'muted' }, 'Every element is valid.')
          : h(
              'ul',
              { class: 'problem-list' },
              ...invalid.flatMap((element) =>
                element.problems.map((problem) =>
                  h(
                    'li',
                    { class: 'problem' },
                    h(
                      'a',
                      { href: `#/element/${encodeURIComponent(element.fullName)}` },
                      h('code', {}, element.fullName),
                    ),
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
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'This app'),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Name'),
          h('dd', {}, app?.name ?? ''),
          h('dt', {}, 'Extends'),
          h('dd', {}, app && app.extends.length > 0 ? app.extends.join(', ') : 'the framework app only'),
          h('dt', {}, 'Serving at'),
          h('dd', {}, app ? `${app.bind.host}:${app.bind.port}` : ''),
        ),
        h(
          'p',
          { class: 'muted' },
          'New Instances can also be made from a terminal, through the same validation: ',
          h('code', {}, 'jit new <Type> <Name> --set key=value'),
        ),
      ),
    )
  }
  draw()
  return store.subscribe(draw)
}

function stat(value: string, label: string, tone = 'plain'): HTMLElement {
  return h(
    'div',
    { class: `stat stat-${tone}` },
    h('span', { class: 'stat-value' }, value),
    h('span', { class: 'stat-label' }, label),
  )
}
