// Module resolve hook: `import ... from 'jitlite'` resolves to this checkout's runtime, so element code
// in an app folder outside the package (a user's project, a test's temp folder) needs no install step.
// The rewritten specifier goes on down the chain, so that tsx still compiles the TypeScript it names.
// Element code is ES modules whatever the nearest package.json says (an app folder often has none).
// Each source file resolved outside node_modules is posted once to the port register.mjs passes in.
// The subpaths are package.json's `exports` (package-entries.mjs); an unknown one fails as Node fails it.
import { resolvePackageSpecifier } from './package-entries.mjs'

let loaded
const posted = new Set()

export function initialize(data) {
  loaded = data?.loaded
}

export async function resolve(specifier, context, nextResolve) {
  let target = specifier
  if (specifier === 'jitlite' || specifier.startsWith('jitlite/')) {
    target = resolvePackageSpecifier(specifier)
    if (target === undefined) {
      const error = new Error(
        `Package subpath '.${specifier.slice('jitlite'.length)}' is not defined by "exports" in jitlite's package.json: ` +
          `import 'jitlite' or one of its entry points (jitlite/http, jitlite/auth, jitlite/db, ...)`,
      )
      error.code = 'ERR_PACKAGE_PATH_NOT_EXPORTED'
      throw error
    }
  }
  const resolved = await nextResolve(target, context)
  const isSource = resolved.url.startsWith('file:') && !resolved.url.includes('/node_modules/')
  if (isSource && loaded) {
    const url = resolved.url.replace(/[?#].*$/, '')
    if (!posted.has(url)) {
      posted.add(url)
      loaded.postMessage(url)
    }
  }
  if (isSource && /\.m?ts$/.test(resolved.url)) return { ...resolved, format: 'module' }
  return resolved
}
