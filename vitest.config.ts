import { defineConfig } from 'vitest/config'
import { packageAliases } from './bin/package-entries.mjs'

export default defineConfig({
  resolve: {
    // Element code (Types, services) imports the runtime as 'jitlite' and its subpaths (package.json
    // `exports`), also from temp app folders.
    alias: packageAliases(),
  },
  test: {
    include: ['test/**/*.test.ts', 'types/**/*.test.ts', 'runtime/**/*.test.ts'],
    exclude: ['node_modules/**', 'test/.tmp/**'],
    pool: 'forks',
    // One throwaway PostgreSQL server per run, for the PostgreSQL side of the conformance suites.
    globalSetup: ['test/global-setup.ts'],
    // .ci/run asks for a JSON report to print the runner's own pass/fail counts.
    ...(process.env.JIT_TEST_REPORT
      ? { reporters: ['default', 'json'], outputFile: { json: process.env.JIT_TEST_REPORT } }
      : {}),
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
