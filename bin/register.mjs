// Loaded before any TypeScript: tsx compiles element code on import, and a small resolve hook lets
// element code anywhere on disk import the runtime as 'jitlite' (no install step in a user's app folder).
// The hook also reports every source file it resolves, so that the process knows which files it runs
// as code: `jit dev` restarts the app for an edit to one of those and for no other (runtime/reload/loaded-code.ts).
import { register } from 'node:module'
import { fileURLToPath } from 'node:url'
import { MessageChannel } from 'node:worker_threads'
import { register as registerTypeScript } from 'tsx/esm/api'

const files = new Set()
const listeners = new Set()
globalThis[Symbol.for('jitlite.loadedCode')] = { files, listeners }
const { port1, port2 } = new MessageChannel()
port1.on('message', (url) => {
  const file = fileURLToPath(url)
  if (files.has(file)) return
  files.add(file)
  for (const listener of listeners) listener(file)
})
// The channel must not keep a process alive that has nothing else to do.
port1.unref()

registerTypeScript()
register('./jitlite-resolve.mjs', import.meta.url, { data: { loaded: port2 }, transferList: [port2] })
