// Module resolve hook: `import ... from 'jitlite'` resolves to this checkout's runtime, so element code
// in an app folder outside the package (a user's project, a test's temp folder) needs no install step.
const runtimeEntry = new URL('../runtime/index.ts', import.meta.url).href

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'jitlite') return { url: runtimeEntry, shortCircuit: true }
  if (specifier.startsWith('jitlite/')) {
    return {
      url: new URL(`../${specifier.slice('jitlite/'.length)}`, import.meta.url).href,
      shortCircuit: true,
    }
  }
  return nextResolve(specifier, context)
}
