import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { BrowserBundler } from '../http/bundler.ts'

/** Where the console's page is served (`jit dev` only). */
export const CONSOLE_BASE = '/__jit/'
/** Where its script and style are served. */
export const CONSOLE_ASSETS = '/__jit/assets/'

/** The console runs no inline script or style, loads nothing from elsewhere and cannot be framed. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ')

const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url))
const HTML_FILE = `${UI_DIR}index.html`
const SCRIPT_ENTRY = `${UI_DIR}main.ts`
const STYLE_FILE = `${UI_DIR}console.css`
const SCRIPT_URL = `${CONSOLE_ASSETS}console.js`
/** The page's placeholder for the per-process CSRF token. */
const CSRF_MARK = '__JIT_CSRF_TOKEN__'

export interface ConsoleAsset {
  readonly body: Buffer
  readonly contentType: string
  readonly etag: string
}

/**
 * The console's page and its static files, from `runtime/console/ui/`: `index.html` with the CSRF
 * token in `<meta name="jit-csrf">`, `console.js` (`main.ts` bundled by esbuild, re-built when a
 * source changes) with its source map, and `console.css`.
 *
 * @example
 * const ui = new ConsoleUi({ csrfToken })
 * const html = ui.page()                   // GET /__jit/
 * const js = await ui.asset('console.js')  // GET /__jit/assets/console.js
 */
export class ConsoleUi {
  private readonly bundler = new BrowserBundler({ mode: 'development' })
  private readonly csrfToken: string

  constructor(options: { csrfToken: string }) {
    this.csrfToken = options.csrfToken
  }

  /** The page, read at each request so that an edit of it shows on reload. */
  page(): string {
    return fs.readFileSync(HTML_FILE, 'utf8').replace(CSRF_MARK, escapeAttribute(this.csrfToken))
  }

  /** A file under `/__jit/assets/`, or undefined for any name that is not one of them. */
  async asset(name: string): Promise<ConsoleAsset | undefined> {
    if (name === 'console.js' || name === 'console.js.map') {
      const bundle = await this.bundler.get(SCRIPT_ENTRY, SCRIPT_URL)
      if (name === 'console.js') return { body: bundle.codeBytes, contentType: JS, etag: bundle.etag }
      if (!bundle.mapBytes) return undefined
      return { body: bundle.mapBytes, contentType: JSON_TYPE, etag: `"${bundle.hash}-map"` }
    }
    if (name === 'console.css') {
      const body = fs.readFileSync(STYLE_FILE)
      return { body, contentType: CSS, etag: etagOf(body) }
    }
    return undefined
  }
}

const JS = 'text/javascript; charset=utf-8'
const CSS = 'text/css; charset=utf-8'
const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * Serves the console's page at `GET /__jit/` (and redirects `/__jit` there) and its files at
 * `GET /__jit/assets/<file>`, with the console's CSP. Only `jit dev` calls this.
 *
 * @example
 * registerConsoleUi(fastify, { csrfToken })
 */
export function registerConsoleUi(fastify: FastifyInstance, options: { csrfToken: string }): ConsoleUi {
  const ui = new ConsoleUi(options)
  fastify.get('/__jit', (_request, reply) => reply.redirect(CONSOLE_BASE))
  fastify.get(CONSOLE_BASE, (_request, reply) => {
    secure(reply).header('cache-control', 'no-store')
    return reply.type('text/html; charset=utf-8').send(ui.page())
  })
  fastify.get<{ Params: { file: string } }>(`${CONSOLE_ASSETS}:file`, async (request, reply) => {
    const asset = await ui.asset(request.params.file)
    if (!asset) return reply.callNotFound()
    return sendRevalidated(request, secure(reply), asset)
  })
  return ui
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
}

function sendRevalidated(request: FastifyRequest, reply: FastifyReply, asset: ConsoleAsset) {
  reply.header('etag', asset.etag).header('cache-control', 'no-cache')
  const known = request.headers['if-none-match']?.split(',').map((tag) => tag.trim().replace(/^W\//, ''))
  if (known?.includes(asset.etag)) return reply.code(304).send()
  return reply.type(asset.contentType).send(asset.body)
}

function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`
}

function escapeAttribute(text: string): string {
  return text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`)
}
