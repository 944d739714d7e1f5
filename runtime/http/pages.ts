import type { AppInfo, ElementInfo } from '../define.ts'
import type { ResolvedElement } from '../elements/element-state.ts'
import type { AppDefinition } from '../elements/generation.ts'
import { JitError } from '../errors.ts'
import type { Logger } from '../log.ts'

/** What a page Type's `render` receives for one request of one of its Instances. */
export interface PageRenderContext<Config = Readonly<Record<string, unknown>>> {
  readonly element: ElementInfo
  readonly config: Readonly<Config>
  readonly app: AppInfo
  /**
   * The tags that load the browser runtime and the page's own browser entry (its e.json
   * `frontBundleEntry`, compiled): put them in the page's `<head>`.
   */
  readonly headTags: string
}

/**
 * How a page Type serves its Instances: pages are elements, found at request time (so a page added
 * or moved by hot reload is served at once).
 *
 * @example
 * export default defineType({
 *   config: z.object({ path: z.string() }),
 *   page: {
 *     pathOf: (config) => config.path,
 *     render: ({ headTags, element }) => `<!doctype html><head>${headTags}</head><h1>${element.title}</h1>`,
 *   },
 * })
 */
export interface PageDefinition<Config = any> {
  /** The URL path an Instance answers at: `/`, `/about`. */
  pathOf(config: Readonly<Config>): string
  /** The HTML of the page. */
  render(context: PageRenderContext<Config>): string | Promise<string>
}

/** The member a Type definition carries to make its Instances pages (inherited along the type chain). */
export interface PageTypeMembers {
  page?: PageDefinition
}

export interface PageMatch {
  readonly fullName: string
  readonly page: PageDefinition
}

const pageIndexes = new WeakMap<AppDefinition, Map<string, PageMatch>>()

/** The page element answering at `urlPath` in `definition` (a trailing slash is ignored). */
export function findPage(definition: AppDefinition, urlPath: string, log: Logger): PageMatch | undefined {
  let index = pageIndexes.get(definition)
  if (!index) {
    index = indexPages(definition, log)
    pageIndexes.set(definition, index)
  }
  return index.get(normalizePagePath(urlPath))
}

export function normalizePagePath(urlPath: string): string {
  return urlPath.length > 1 ? urlPath.replace(/\/+$/, '') : urlPath
}

/** The render context of one page element. */
export function pageContext(
  page: ResolvedElement,
  app: AppInfo,
  headTags: string,
): PageRenderContext<Readonly<Record<string, unknown>>> {
  return {
    element: page.info,
    config: page.config?.value ?? {},
    app,
    headTags,
  }
}

function indexPages(definition: AppDefinition, log: Logger): Map<string, PageMatch> {
  const index = new Map<string, PageMatch>()
  const visible: ResolvedElement[] = []
  for (const { element } of definition.records()) {
    const resolved = element.layer === 'Instance' && !element.scopedTo && definition.resolve(element.fullName)
    // resolve() sees only the elements visible from the top app.
    if (resolved && resolved.element === element) visible.push(resolved)
  }
  visible.sort((a, b) => (a.fullName < b.fullName ? -1 : a.fullName > b.fullName ? 1 : 0))
  for (const resolved of visible) {
    const fullName = resolved.fullName
    if (resolved.problem) continue
    const page = (resolved.type as PageTypeMembers | undefined)?.page
    const config = resolved.config?.value
    if (!page || !config) continue
    const urlPath = normalizePagePath(page.pathOf(config))
    const taken = index.get(urlPath)
    if (taken) {
      const conflict = new JitError(
        'JIT_PAGE_PATH_CONFLICT',
        `${fullName} answers at ${urlPath}, which ${taken.fullName} already serves: give one of them another "path"`,
        { element: fullName, file: resolved.config?.file, field: 'path' },
      )
      log.warn(conflict.format())
      continue
    }
    index.set(urlPath, { fullName, page })
  }
  return index
}
