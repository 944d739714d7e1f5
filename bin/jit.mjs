#!/usr/bin/env node
// The `jit` command.
import './register.mjs'

const { main } = await import('../runtime/cli.ts')
process.exitCode = await main(process.argv.slice(2))
