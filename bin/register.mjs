// Loaded before any TypeScript: tsx compiles element code on import, and a small resolve hook lets
// element code anywhere on disk import the runtime as 'jitlite' (no install step in a user's app folder).
import { register } from 'node:module'
import { register as registerTypeScript } from 'tsx/esm/api'

registerTypeScript()
register('./jitlite-resolve.mjs', import.meta.url)
