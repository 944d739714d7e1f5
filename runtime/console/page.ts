import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { JitError } from '../errors.ts'
import { BrowserBundler } from '../http/bundler.ts'

/** Where the console page's files are (written by the UI side of the console). */
export const CONSOLE_UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url))

export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
}
const ASSET_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

function secureHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
}

/**
 * `GET /__jit/`: the page, with this process's CSRF token in a meta tag; `GET /__jit/assets/<file>`:
 * the page's files, one folder deep, a `.js` built from the `.ts` of the same name when that is what
 * the folder has.
 */
export function registerConsolePage(
  fastify: FastifyInstance,
  options: { token: string; uiDir?: string },
): void {
  const uiDir = options.uiDir ?? CONSOLE_UI_DIR
  const bundler = new BrowserBundler({ mode: 'development' })
  const meta = `<meta name="jit-csrf" content="${options.token}">`

  fastify.get('/__jit', (_request, reply) => reply.redirect('/__jit/'))
  fastify.get('/__jit/', async (_request, reply) => {
    let html: string
    try {
      html = fs.readFileSync(path.join(uiDir, 'index.html'), 'utf8')
    } catch {
      throw new JitError(
        'JIT_CONSOLE_UI_MISSING',
        `the console page (${path.join(uiDir, 'index.html')}) is missing: reinstall jitlite`,
      )
    }
    const at = html.indexOf('</head>')
    const page = at >= 0 ? `${html.slice(0, at)}${meta}\n${html.slice(at)}` : `${meta}\n${html}`
    return secureHeaders(reply).type('text/html; charset=utf-8').send(page)
  })

  fastify.get('/__jit/assets/:file', async (request, reply) => {
    const name = (request.params as { file: string }).file
    const type = CONTENT_TYPES[path.extname(name)]
    if (!ASSET_NAME.test(name) || name.includes('..') || !type) return reply.callNotFound()
    const file = path.join(uiDir, name)
    if (fs.existsSync(file)) return secureHeaders(reply).type(type).send(fs.readFileSync(file))
    const source = file.replace(/\.js$/, '.ts')
    if (!name.endsWith('.js') || !fs.existsSync(source)) return reply.callNotFound()
    const bundle = await bundler.get(source, `/__jit/assets/${name}`)
    return secureHeaders(reply).type(type).send(bundle.codeBytes)
  })
}
