import type { AppInfo } from '../define.ts'
import type { ResolvedElement } from '../elements/element-state.ts'
import type { AppDefinition } from '../elements/generation.ts'
import { JitError } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { PageDefinition, PageRenderContext } from './contract.ts'

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
    const page = resolved.type?.page
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
