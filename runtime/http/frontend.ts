import { createHash } from 'node:crypto'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { JitApp } from '../app.ts'
import type { TypeDefinition } from '../define.ts'
import { ELEMENT_NAME } from '../elements/define-schema.ts'
import type { Generation, Located } from '../elements/generation.ts'
import type { RegisteredElement } from '../elements/resolve.ts'
import { JitError } from '../errors.ts'
import type { AppMetadata, ElementMetadata } from '../frontend/contract.ts'
import { type BrowserBundle, BrowserBundler, RUNTIME_URL } from './bundler.ts'
import { findPage, pageContext } from './pages.ts'
import { sandboxBaseUrl } from './sandboxes.ts'

export interface FrontendOptions {
  /** The URL browsers reach the app at, without a trailing slash. */
  publicUrl: string
}

const RUNTIME_ENTRY = fileURLToPath(new URL('../frontend/index.ts', import.meta.url))
const JS_TYPE = 'text/javascript; charset=utf-8'
/** A bundle URL carries its content hash, so the bytes behind it never change. */
const IMMUTABLE = 'public, max-age=31536000, immutable'
/** Everything else may change with a reload: the browser asks again, and gets a 304 when nothing did. */
const REVALIDATE = 'no-cache'
/** Secret values shorter than this could match ordinary code by chance; real secrets are far longer. */
const MIN_SCANNED_SECRET_LENGTH = 8

const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  // Avatars come from the provider's image hosts (WeChat's over https, the sandbox's over http).
  "img-src 'self' data: https: http:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/**
 * The browser side of an app: the browser runtime (`/jit/runtime.js`), the app's and each element's
 * metadata (`/jit/app.json`, `/jit/elements/<fullName>.json`), compiled browser entries
 * (`/jit/bundles/<fullName>.js`, from e.json `frontBundleEntry`), and page elements at their paths.
 * Everything is looked up in the app's current definition at request time.
 *
 * @example
 * const fastify = Fastify()
 * registerFrontend(fastify, app, { publicUrl: 'http://127.0.0.1:3000' })
 */
export function registerFrontend(fastify: FastifyInstance, app: JitApp, options: FrontendOptions): void {
  const bundler = new BrowserBundler({ mode: app.info.mode })
  const publicUrl = options.publicUrl.replace(/\/+$/, '')

  fastify.get(RUNTIME_URL, async (request, reply) => {
    const bundle = await bundler.get(RUNTIME_ENTRY, RUNTIME_URL)
    return sendCached(request, reply, bundle.codeBytes, bundle.etag, JS_TYPE, REVALIDATE)
  })
  fastify.get(`${RUNTIME_URL}.map`, async (request, reply) => {
    const bundle = await bundler.get(RUNTIME_ENTRY, RUNTIME_URL)
    if (!bundle.mapBytes) return reply.callNotFound()
    return sendCached(request, reply, bundle.mapBytes, bundle.etag, 'application/json', REVALIDATE)
  })

  fastify.get('/jit/app.json', async (request, reply) => {
    const body = JSON.stringify(appMetadata(app, publicUrl))
    return sendCached(request, reply, body, etagOf(body), 'application/json; charset=utf-8', REVALIDATE)
  })

  fastify.get<{ Params: { file: string } }>('/jit/elements/:file', async (request, reply) => {
    const fullName = request.params.file.replace(/\.json$/, '')
    if (fullName === request.params.file || !isFullName(fullName)) return reply.callNotFound()
    const generation = app.current
    const located = locateOrAnswer(generation, fullName, reply)
    if (!located) return reply
    const entry = browserEntryOf(generation, located.element)
    const bundle = entry && (await bundleOf(bundler, generation, entry))
    const body = JSON.stringify(
      elementMetadata(app, publicUrl, generation, located.element, fullName, bundle),
    )
    return sendCached(request, reply, body, etagOf(body), 'application/json; charset=utf-8', REVALIDATE)
  })

  fastify.get<{ Params: { file: string }; Querystring: { v?: string } }>(
    '/jit/bundles/:file',
    async (request, reply) => {
      const file = request.params.file
      const isMap = file.endsWith('.js.map')
      const fullName = file.replace(/\.js(?:\.map)?$/, '')
      if (fullName === file || !isFullName(fullName)) return reply.callNotFound()
      const generation = app.current
      const element = generation.registry.elements.get(fullName)
      if (!element?.define.frontBundleEntry) return reply.callNotFound()
      const bundle = await bundleOf(bundler, generation, entryOf(element))
      if (isMap && !bundle.mapBytes) return reply.callNotFound()
      const cache = request.query.v === bundle.hash ? IMMUTABLE : REVALIDATE
      if (isMap) return sendCached(request, reply, bundle.mapBytes!, bundle.etag, 'application/json', cache)
      return sendCached(request, reply, bundle.codeBytes, bundle.etag, JS_TYPE, cache)
    },
  )

  // Pages last: every path no other route claims is looked up among the page elements.
  fastify.get('/*', async (request, reply) => {
    const generation = app.current
    const match = findPage(generation, request.url.split('?')[0], app.logger)
    if (!match) return reply.callNotFound()
    const located = generation.check(match.fullName)
    const entry = browserEntryOf(generation, located.element)
    const bundle = entry && (await bundleOf(bundler, generation, entry))
    const headTags = [
      `<link rel="modulepreload" href="${RUNTIME_URL}">`,
      bundle ? `<script type="module" src="${bundle.url}"></script>` : '',
    ].join('')
    const html = await match.page.render(pageContext(generation, match.fullName, headTags))
    return reply
      .header('cache-control', REVALIDATE)
      .header('content-security-policy', PAGE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .type('text/html; charset=utf-8')
      .send(html)
  })
}

function appMetadata(app: JitApp, publicUrl: string): AppMetadata {
  const { orgId, name, title, version, mode } = app.info
  const api = `/api/${orgId}/${name}`
  return {
    orgId,
    name,
    title,
    version,
    mode,
    publicUrl,
    sessionPath: `${api}/auths/session`,
    logoutPath: `${api}/auths/logout`,
  }
}

function elementMetadata(
  app: JitApp,
  publicUrl: string,
  generation: Generation,
  element: RegisteredElement,
  fullName: string,
  bundle: { url: string } | undefined,
): ElementMetadata {
  const type = generation.typeOf(element)
  return {
    fullName,
    title: element.define.title,
    layer: element.layer,
    type: element.define.type,
    config: bundle && element.layer === 'Instance' ? publicConfig(generation, fullName, type) : undefined,
    apiPath: `/api/${app.info.orgId}/${app.info.name}/${fullName.split('.').join('/')}`,
    actions: Object.keys(type?.routes ?? {}),
    functions: (element.define.functionList ?? []).map((f) => f.name),
    sandbox: element.layer === 'Instance' ? sandboxOf(generation, element, type, publicUrl) : undefined,
    bundleUrl: bundle?.url,
  }
}

/**
 * The name of the sandbox an Instance is pointed at: its Type has one, and the Instance's config
 * holds every value the sandbox sets when it takes over an Instance (`jit dev`).
 */
function sandboxOf(
  generation: Generation,
  element: RegisteredElement,
  type: TypeDefinition<any, any> | undefined,
  publicUrl: string,
): string | undefined {
  const sandbox = type?.sandbox
  const config = generation.configOf(element.fullName)?.value
  if (!sandbox || !config) return undefined
  const takeover = sandbox.instanceConfig({}, sandboxBaseUrl(publicUrl, sandbox.name), {})
  if (!takeover || Object.keys(takeover).length === 0) return undefined
  const pointed = Object.entries(takeover).every(([key, value]) => config[key] === value)
  return pointed ? sandbox.name : undefined
}

/** What an Instance shows a browser: what its Type's `browserConfig` says, else its config without
 * secret fields. */
function publicConfig(
  generation: Generation,
  fullName: string,
  type: TypeDefinition<any, any> | undefined,
): Readonly<Record<string, unknown>> {
  if (type?.browserConfig) return type.browserConfig(generation.load(fullName))
  return generation.publicConfigOf(fullName) ?? {}
}

interface BrowserEntry {
  /** The element whose e.json names the entry (the Instance itself, or a Type of its chain). */
  owner: RegisteredElement
  file: string
}

/** The first `frontBundleEntry` along an element's type chain, itself first. */
function browserEntryOf(generation: Generation, element: RegisteredElement): BrowserEntry | undefined {
  for (const name of element.chain ?? [element.fullName]) {
    const member = name === element.fullName ? element : generation.registry.elements.get(name)
    if (member?.define.frontBundleEntry) return entryOf(member)
  }
  return undefined
}

function entryOf(owner: RegisteredElement): BrowserEntry {
  const entry = owner.define.frontBundleEntry!
  const file = path.resolve(owner.dir, entry)
  if (!file.startsWith(owner.dir + path.sep)) {
    throw new JitError(
      'JIT_FRONTEND_ENTRY_INVALID',
      `"frontBundleEntry" must name a file inside the element folder, not "${entry}"`,
      { file: path.join(owner.dir, 'e.json'), field: 'frontBundleEntry', element: owner.fullName },
    )
  }
  return { owner, file }
}

async function bundleOf(
  bundler: BrowserBundler,
  generation: Generation,
  entry: BrowserEntry,
): Promise<BrowserBundle & { url: string }> {
  const bundle = await bundler.get(entry.file, `/jit/bundles/${entry.owner.fullName}.js`)
  assertNoSecrets(generation, entry, bundle)
  return { ...bundle, url: `/jit/bundles/${entry.owner.fullName}.js?v=${bundle.hash}` }
}

/** Bundles found free of the secrets of a generation: a bundle and the configs change apart. */
const checkedBundles = new WeakMap<Generation, WeakSet<BrowserBundle>>()

/** Refuses to serve a bundle that holds the value of any Instance's secret config field. */
function assertNoSecrets(generation: Generation, entry: BrowserEntry, bundle: BrowserBundle): void {
  let checked = checkedBundles.get(generation)
  if (checked?.has(bundle)) return
  for (const element of generation.registry.elements.values()) {
    if (element.layer !== 'Instance') continue
    const secrets = generation.configOf(element.fullName)?.secretValues ?? []
    const leaked = secrets.some(
      (value) =>
        value.length >= MIN_SCANNED_SECRET_LENGTH &&
        (bundle.code.includes(value) || bundle.map?.includes(value) === true),
    )
    if (!leaked) continue
    throw new JitError(
      'JIT_FRONTEND_SECRET_IN_BUNDLE',
      `the compiled ${path.basename(entry.file)} holds the value of a secret config field of ${element.fullName}, so it is not served: browser code must not import config files or server modules`,
      { file: entry.file, element: entry.owner.fullName },
    )
  }
  if (!checked) {
    checked = new WeakSet()
    checkedBundles.set(generation, checked)
  }
  checked.add(bundle)
}

function isFullName(name: string): boolean {
  return name.length <= 512 && name.split('.').every((segment) => ELEMENT_NAME.test(segment))
}

/** Where `fullName` is; or, having answered 404 (unknown, or a Type's child asked for without an
 * Instance) or 503 (it has a problem, named by its code only), undefined. */
function locateOrAnswer(generation: Generation, fullName: string, reply: FastifyReply): Located | undefined {
  try {
    return generation.check(fullName)
  } catch (err) {
    if (!(err instanceof JitError)) throw err
    const missing = err.code === 'JIT_ELEMENT_NOT_FOUND' || err.code === 'JIT_ELEMENT_NEEDS_INSTANCE'
    const status = missing ? 404 : 503
    const errmsg = missing ? err.reason : `${fullName} is unavailable (${err.code})`
    reply.code(status).send({ errcode: status, errmsg, code: err.code })
    return undefined
  }
}

function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`
}

function sendCached(
  request: FastifyRequest,
  reply: FastifyReply,
  body: string | Buffer,
  etag: string,
  contentType: string,
  cacheControl: string,
) {
  reply.header('etag', etag).header('cache-control', cacheControl).header('x-content-type-options', 'nosniff')
  const known = request.headers['if-none-match']?.split(',').map((tag) => tag.trim().replace(/^W\//, ''))
  if (known?.includes(etag)) return reply.code(304).send()
  return reply.type(contentType).send(body)
}
