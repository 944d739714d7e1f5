/**
 * package.json's entry points, checked without packing: each one that names code also names the
 * declarations `npm pack` builds from it (tsconfig.build.json emits `dist/types/<source>.d.ts`), so
 * that a project depending on jitlite compiles against declarations, never against jitlite's sources,
 * while this repository's own compile (tsconfig.json's customConditions) resolves them to the sources.
 * The packed package itself is tried in consumer.test.ts.
 */
import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/jit-process.ts'

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'))
const readTsconfig = (name: string) => ts.readConfigFile(path.join(REPO_ROOT, name), ts.sys.readFile).config
const build = readTsconfig('tsconfig.build.json')
const DECLARATIONS = `./${build.compilerOptions.outDir}/`
/** The condition tsconfig.json resolves our own imports of 'jitlite' with: to sources, not to dist/. */
const [SOURCE_CONDITION] = readTsconfig('tsconfig.json').compilerOptions.customConditions as string[]

/** What a `.ts` source becomes under the declaration build. */
const declarationOf = (source: string) => source.replace(/^\.\//, DECLARATIONS).replace(/\.ts$/, '.d.ts')

describe('package.json exports', () => {
  it('give every entry point that names TypeScript its built declarations, and our sources to ourselves', () => {
    const wrong: string[] = []
    for (const [key, entry] of Object.entries<unknown>(pkg.exports)) {
      const runs = typeof entry === 'string' ? entry : (entry as { default?: string }).default
      if (runs === undefined || !runs.endsWith('.ts')) continue
      const expected = { [SOURCE_CONDITION]: runs, types: declarationOf(runs), default: runs }
      // Order matters: the first condition a resolver knows wins.
      if (JSON.stringify(entry) !== JSON.stringify(expected))
        wrong.push(`"${key}": ${JSON.stringify(expected)}`)
    }
    expect(wrong, 'write these entries so').toEqual([])
  })

  it('are built and packed: their sources are in the declaration build, the declarations in files', () => {
    const included: string[] = build.include
    expect(pkg.files).toContain(build.compilerOptions.outDir)
    for (const entry of Object.values<unknown>(pkg.exports)) {
      const types =
        typeof entry === 'object' && entry !== null ? (entry as { types?: string }).types : undefined
      if (types === undefined) continue
      const source = types.slice(DECLARATIONS.length).replace(/\.d\.ts$/, '.ts')
      expect(
        included.some((root) => source === root || source.startsWith(`${root}/`)),
        source,
      ).toBe(true)
      if (!source.includes('*')) expect(fs.existsSync(path.join(REPO_ROOT, source)), source).toBe(true)
    }
  })
})
