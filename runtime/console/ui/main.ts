/**
 * The development console's page (`GET /__jit/` under `jit dev`): the element tree on the left, the
 * selected view on the right, routed by the URL's hash, and kept in step with the disk by the server's
 * events.
 */
import { api } from './api.ts'
import { renderCreate } from './create-view.ts'
import { byId, h, replaceChildren } from './dom.ts'
import { renderElement } from './element-view.ts'
import { notice } from './feedback.ts'
import { renderHome } from './home-view.ts'
import { store } from './state.ts'
import { renderTrash } from './trash-view.ts'
import { renderTree } from './tree.ts'

const pane = byId('pane')
const tree = byId('tree')
const filter = byId<HTMLInputElement>('tree-filter')
let selected: string | undefined
let leaveView: () => void = () => undefined
/** Counts route changes, so that a slow view does not draw over the one that replaced it. */
let routeId = 0

function drawTree(): void {
  tree.replaceChildren(...renderTree(store.elements, { selected, filter: filter.value }))
}

function drawApp(): void {
  const app = store.app
  if (!app) return
  byId('app-name').textContent = app.title || app.name
  document.title = `${app.title || app.name} · jitlite console`
  const warning = byId('bind-warning')
  warning.hidden = app.bind.loopback
  warning.textContent = app.bind.loopback
    ? ''
    : `Listening on ${app.bind.host}: other computers on the network can reach this console`
}

/** `#/`, `#/new?type=...`, `#/element/<fullName>`, `#/trash`. */
async function route(): Promise<void> {
  const id = ++routeId
  leaveView()
  leaveView = () => undefined
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?')
  const params = new URLSearchParams(query)
  const [, view, ...rest] = (path || '/').split('/')
  selected = view === 'element' ? decodeURIComponent(rest.join('/')) : undefined
  drawTree()
  byId('new-instance').setAttribute('aria-current', view === 'new' ? 'page' : 'false')
  try {
    if (view === 'element' && selected) {
      const leave = await renderElement(pane, selected)
      if (id === routeId) leaveView = leave
      else leave()
    } else if (view === 'new') {
      await renderCreate(pane, {
        family: params.get('family') ?? undefined,
        type: params.get('type') ?? undefined,
      })
    } else if (view === 'trash') {
      await renderTrash(pane)
    } else {
      leaveView = renderHome(pane)
    }
  } catch (error) {
    if (id !== routeId) return
    replaceChildren(pane, notice('error', 'This view could not be loaded', [(error as Error).message]))
  }
}

/** The server says when the tree changed on disk; the page refetches it. EventSource reconnects by itself. */
function follow(): void {
  const live = byId('live')
  const events = new EventSource('/__jit/api/events')
  events.addEventListener('open', () => {
    live.dataset.state = 'live'
    live.textContent = 'live'
    // Changes made while disconnected are caught up on.
    void store.refresh().catch(() => undefined)
  })
  events.addEventListener('error', () => {
    live.dataset.state = 'offline'
    live.textContent = 'reconnecting'
  })
  events.addEventListener('elements', (event) => {
    let version: number | undefined
    try {
      version = (JSON.parse((event as MessageEvent<string>).data) as { version?: number }).version
    } catch {
      version = undefined
    }
    if (version !== undefined && version === store.version) return
    void store.refresh().catch(() => undefined)
  })
}

async function start(): Promise<void> {
  try {
    const [app] = await Promise.all([api.app(), store.refresh()])
    store.app = app
  } catch (error) {
    replaceChildren(
      pane,
      notice('error', 'The console cannot reach the dev server', [(error as Error).message]),
    )
    return
  }
  drawApp()
  store.subscribe(drawTree)
  filter.addEventListener('input', drawTree)
  window.addEventListener('hashchange', () => void route())
  follow()
  await route()
  document.body.dataset.ready = 'true'
}

pane.append(h('p', { class: 'muted' }, 'Loading…'))
void start()
