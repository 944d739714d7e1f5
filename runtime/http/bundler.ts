import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { type BuildFailure, build, type Message, type Plugin } from 'esbuild'
import { JitError } from '../errors.ts'

/** Where the browser runtime is served: browser code imports it as 'jitlite/browser'. */
export const RUNTIME_URL = '/jit/runtime.js'

/** One compiled browser entry. */
export interface BrowserBundle {
  readonly code: string
  /** `code` as UTF-8 bytes, encoded once: what is sent. */
  readonly codeBytes: Buffer
  /** The source map (development only). */
  readonly map?: string
  readonly mapBytes?: Buffer
  /** Content hash: part of the bundle's URL, so a changed bundle gets a new URL. */
  readonly hash: string
  readonly etag: string
}

interface CachedBuild {
  bundle: BrowserBundle
  /** Source files the bundle was built from (not node_modules), with what they looked like then. */
  inputs: Array<{ file: string; mtimeMs: number; size: number }>
}

export interface BrowserBundlerOptions {
  /** Development: readable output with source maps, and sources are re-checked on every request. */
  mode: 'development' | 'production'
}

/**
 * Compiles browser entries (TypeScript) with esbuild into one ES module each, and keeps the result
 * until one of its source files changes. `import ... from 'jitlite/browser'` stays an import of
 * `/jit/runtime.js`, so every bundle on a page shares one runtime.
 *
 * @example
 * const bundler = new BrowserBundler({ mode: 'development' })
 * const { code, hash } = await bundler.get('/srv/app/pages/Home/main.ts', '/jit/bundles/pages.Home.js')
 */
export class BrowserBundler {
  private readonly options: BrowserBundlerOptions
  private readonly cache = new Map<string, CachedBuild>()
  private readonly building = new Map<string, Promise<CachedBuild>>()

  constructor(options: BrowserBundlerOptions) {
    this.options = options
  }

  /**
   * The compiled bundle of `entryFile`, served at `url` (the source map is at `url + '.map'`).
   * Throws JIT_FRONTEND_ENTRY_INVALID when the file does not exist and JIT_FRONTEND_BUILD_FAILED with
   * file and line when it does not compile.
   */
  async get(entryFile: string, url: string): Promise<BrowserBundle> {
    const key = `${entryFile}\u0000${url}`
    const cached = this.cache.get(key)
    if (cached && (this.options.mode === 'production' || !changedSince(cached))) return cached.bundle
    let pending = this.building.get(key)
    if (!pending) {
      pending = this.compile(entryFile, url).finally(() => this.building.delete(key))
      this.building.set(key, pending)
    }
    const built = await pending
    this.cache.set(key, built)
    return built.bundle
  }

  private async compile(entryFile: string, url: string): Promise<CachedBuild> {
    if (!fs.existsSync(entryFile)) {
      throw new JitError(
        'JIT_FRONTEND_ENTRY_INVALID',
        `${path.basename(entryFile)} does not exist: create it, or fix "frontBundleEntry" in e.json`,
        { file: entryFile, field: 'frontBundleEntry' },
      )
    }
    const development = this.options.mode === 'development'
    const outfile = path.join(path.dirname(entryFile), path.basename(url))
    let result: Awaited<ReturnType<typeof build<{ write: false; metafile: true }>>>
    try {
      result = await build({
        entryPoints: [entryFile],
        outfile,
        bundle: true,
        write: false,
        metafile: true,
        format: 'esm',
        platform: 'browser',
        // The in-app browsers of WeChat (XWeb, X5) lag desktop Chrome by years.
        target: 'es2020',
        minify: !development,
        sourcemap: development ? 'linked' : false,
        legalComments: 'none',
        define: { 'process.env.NODE_ENV': JSON.stringify(this.options.mode) },
        plugins: [runtimeImports],
        logLevel: 'silent',
      })
    } catch (err) {
      throw buildError(entryFile, err as BuildFailure)
    }
    let code = ''
    let map: string | undefined
    for (const output of result.outputFiles) {
      if (output.path.endsWith('.map')) map = output.text
      else code = output.text
    }
    const hash = createHash('sha256').update(code).digest('base64url').slice(0, 16)
    const inputs = Object.keys(result.metafile.inputs)
      .filter((input) => !input.includes('node_modules') && !input.includes(':'))
      .map((input) => path.resolve(input))
      .map((file) => ({ file, ...statOf(file) }))
    const bundle: BrowserBundle = {
      code,
      codeBytes: Buffer.from(code),
      map,
      mapBytes: map === undefined ? undefined : Buffer.from(map),
      hash,
      etag: `"${hash}"`,
    }
    return { bundle: Object.freeze(bundle), inputs }
  }
}

/** 'jitlite/browser' is the runtime the page already loaded; the server runtime never reaches a browser. */
const runtimeImports: Plugin = {
  name: 'jitlite-runtime-imports',
  setup(builder) {
    builder.onResolve({ filter: /^jitlite(?:\/.*)?$/ }, (args) => {
      if (args.path === 'jitlite/browser') return { path: RUNTIME_URL, external: true }
      return {
        errors: [
          {
            text: `browser code cannot import "${args.path}" (server code): import what runs in the browser from "jitlite/browser", and types with "import type"`,
          },
        ],
      }
    })
  },
}

function statOf(file: string): { mtimeMs: number; size: number } {
  try {
    const stat = fs.statSync(file)
    return { mtimeMs: stat.mtimeMs, size: stat.size }
  } catch {
    return { mtimeMs: -1, size: -1 }
  }
}

function changedSince(cached: CachedBuild): boolean {
  return cached.inputs.some((input) => {
    const now = statOf(input.file)
    return now.mtimeMs !== input.mtimeMs || now.size !== input.size
  })
}

function buildError(entryFile: string, failure: BuildFailure): JitError {
  const first: Message | undefined = failure.errors?.[0]
  if (!first) {
    return new JitError('JIT_FRONTEND_BUILD_FAILED', failure.message, { file: entryFile })
  }
  const where = first.location
  const file = where ? path.resolve(where.file) : entryFile
  const more = (failure.errors?.length ?? 1) > 1 ? ` (and ${failure.errors.length - 1} more)` : ''
  return new JitError(
    'JIT_FRONTEND_BUILD_FAILED',
    `${first.text}${more}`,
    where ? { file, line: where.line, column: where.column + 1 } : { file },
  )
}
