// Module resolve hook: `import ... from 'jitlite'` resolves to this checkout's runtime, so element code
// in an app folder outside the package (a user's project, a test's temp folder) needs no install step.
// The rewritten specifier goes on down the chain, so that tsx still compiles the TypeScript it names.
// Element code is ES modules whatever the nearest package.json says (an app folder often has none).
// Each source file resolved outside node_modules is posted once to the port register.mjs passes in.
const runtimeEntry = new URL('../runtime/index.ts', import.meta.url).href
const packageRoot = new URL('../', import.meta.url).href

let loaded
const posted = new Set()

export function initialize(data) {
  loaded = data?.loaded
}

export async function resolve(specifier, context, nextResolve) {
  let target = specifier
  if (specifier === 'jitlite') target = runtimeEntry
  else if (specifier.startsWith('jitlite/'))
    target = new URL(specifier.slice('jitlite/'.length), packageRoot).href
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
