// Module resolve hook: `import ... from 'jitlite'` resolves to this checkout's runtime, so element code
// in an app folder outside the package (a user's project, a test's temp folder) needs no install step.
// The rewritten specifier goes on down the chain, so that tsx still compiles the TypeScript it names.
// Element code is ES modules whatever the nearest package.json says (an app folder often has none).
const runtimeEntry = new URL('../runtime/index.ts', import.meta.url).href
const packageRoot = new URL('../', import.meta.url).href

export async function resolve(specifier, context, nextResolve) {
  let target = specifier
  if (specifier === 'jitlite') target = runtimeEntry
  else if (specifier.startsWith('jitlite/'))
    target = new URL(specifier.slice('jitlite/'.length), packageRoot).href
  const resolved = await nextResolve(target, context)
  if (
    resolved.url.startsWith('file:') &&
    /\.m?ts$/.test(resolved.url) &&
    !resolved.url.includes('/node_modules/')
  ) {
    return { ...resolved, format: 'module' }
  }
  return resolved
}
