import fs from 'node:fs'
import path from 'node:path'
import { defineType, JitError, z } from 'jitlite'
import type { PageDefinition } from 'jitlite/http'

/** The file a static page is written in, in its element folder. */
export const PAGE_HTML = 'index.html'

/** First path segments the runtime itself answers at; a page there would never be reached. */
const RESERVED_SEGMENTS = new Set(['api', 'jit', '__sandbox', 'healthz'])
const PAGE_PATH = /^\/(?:[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*)?\/?$/

const StaticPageConfig = z.looseObject({
  path: z
    .string({ error: 'is required: the URL path the page answers at, for example "/" or "/about"' })
    .regex(PAGE_PATH, 'must be a URL path such as "/" or "/about" (letters, digits, . _ ~ - between slashes)')
    .refine((value) => !RESERVED_SEGMENTS.has(value.split('/')[1]), {
      message: `must not start with /api, /jit, /__sandbox or /healthz: the runtime answers there`,
    }),
})

type StaticPageConfig = z.infer<typeof StaticPageConfig>

const page: PageDefinition<StaticPageConfig> = {
  pathOf: (config) => config.path,
  async render({ element, headTags }) {
    const file = path.join(element.dir, PAGE_HTML)
    let html: string
    try {
      html = await fs.promises.readFile(file, 'utf8')
    } catch {
      throw missingHtml(element.fullName, file)
    }
    return withHeadTags(html, headTags)
  },
}

/**
 * A page written by hand: `index.html` in the element folder, served at `path` as written (read at
 * each request, so edits show on reload), with the runtime's tags and the page's compiled browser
 * entry (`frontBundleEntry`) added to its `<head>`.
 *
 * @example
 * // app/pages/Home/e.json: { "title": "Home", "type": "pages.StaticType", "frontBundleEntry": "main.ts" }
 * // app/pages/Home/Home.json: { "path": "/" }
 */
export default defineType({
  config: StaticPageConfig,
  prepare({ element }) {
    const file = path.join(element.dir, PAGE_HTML)
    if (!fs.existsSync(file)) throw missingHtml(element.fullName, file)
  },
  page,
})

function missingHtml(fullName: string, file: string): JitError {
  return new JitError(
    'JIT_PAGE_HTML_MISSING',
    `a static page is written in ${PAGE_HTML} in its element folder: create ${PAGE_HTML} there`,
    { file, element: fullName },
  )
}

/** Puts `tags` just before `</head>`, else just before `<body>`, else at the start. */
export function withHeadTags(html: string, tags: string): string {
  for (const marker of [/<\/head\s*>/i, /<body[\s>]/i]) {
    const at = html.search(marker)
    if (at >= 0) return html.slice(0, at) + tags + html.slice(at)
  }
  return tags + html
}
