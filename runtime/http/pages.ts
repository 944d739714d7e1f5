import { elementInfo, type Generation } from '../elements/generation.ts'
import { JitError } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { PageDefinition, PageRenderContext } from './contract.ts'

export interface PageMatch {
  readonly fullName: string
  readonly page: PageDefinition
}

const pageIndexes = new WeakMap<Generation, Map<string, PageMatch>>()

/** The page element answering at `urlPath` in `generation` (a trailing slash is ignored). */
export function findPage(generation: Generation, urlPath: string, log: Logger): PageMatch | undefined {
  let index = pageIndexes.get(generation)
  if (!index) {
    index = indexPages(generation, log)
    pageIndexes.set(generation, index)
  }
  return index.get(normalizePagePath(urlPath))
}

export function normalizePagePath(urlPath: string): string {
  return urlPath.length > 1 ? urlPath.replace(/\/+$/, '') : urlPath
}

/** The render context of one page element. */
export function pageContext(
  generation: Generation,
  fullName: string,
  headTags: string,
): PageRenderContext<Readonly<Record<string, unknown>>> {
  const { element } = generation.check(fullName)
  return {
    element: elementInfo(element),
    config: generation.configOf(fullName)?.value ?? {},
    app: generation.app,
    headTags,
  }
}

function indexPages(generation: Generation, log: Logger): Map<string, PageMatch> {
  const index = new Map<string, PageMatch>()
  const names = [...generation.registry.elements.keys()].sort()
  for (const fullName of names) {
    const element = generation.registry.get(fullName)
    if (element?.layer !== 'Instance' || element.scopedTo) continue
    if (generation.problemOf(fullName)) continue
    const page = generation.typeOf(element)?.page
    const config = generation.configOf(fullName)?.value
    if (!page || !config) continue
    const urlPath = normalizePagePath(page.pathOf(config))
    const taken = index.get(urlPath)
    if (taken) {
      const conflict = new JitError(
        'JIT_PAGE_PATH_CONFLICT',
        `${fullName} answers at ${urlPath}, which ${taken.fullName} already serves: give one of them another "path"`,
        { element: fullName, file: generation.configOf(fullName)?.file, field: 'path' },
      )
      log.warn(conflict.format())
      continue
    }
    index.set(urlPath, { fullName, page })
  }
  return index
}
