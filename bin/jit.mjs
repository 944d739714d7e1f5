#!/usr/bin/env node
// The `jit` command. Element code is TypeScript loaded at run time: tsx compiles it on import, and
// a small resolve hook lets element code anywhere on disk import the runtime as 'jitlite'.
import { register } from 'node:module'
import { register as registerTypeScript } from 'tsx/esm/api'

registerTypeScript()
register('./jitlite-resolve.mjs', import.meta.url)
const { main } = await import('../runtime/cli.ts')
process.exitCode = await main(process.argv.slice(2))
