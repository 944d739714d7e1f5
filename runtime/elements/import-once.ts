import { pathToFileURL } from 'node:url'

const imported = new Map<string, Promise<Readonly<Record<string, unknown>>>>()

/**
 * Imports element code once per process. Node's module cache would give the same module again
 * anyway (ES modules cannot be unloaded: code edits restart the process under `jit dev`), but each
 * `import()` still goes through the loader hooks that compile TypeScript, which costs a hot reload
 * more than all its file reads. A failed import is not remembered, so a fixed file imports.
 */
export function importOnce(file: string): Promise<Readonly<Record<string, unknown>>> {
  let module = imported.get(file)
  if (!module) {
    module = import(pathToFileURL(file).href) as Promise<Record<string, unknown>>
    imported.set(file, module)
    module.catch(() => imported.delete(file))
  }
  return module
}
