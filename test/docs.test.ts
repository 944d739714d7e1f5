/**
 * The repository explains itself: code, tests and docs cite the project's own pages under docs/, every
 * anchor they cite is a heading of that page, and every test docs/security.md names still exists, so
 * renaming a test or a heading without the page is caught here.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const SELF = path.join('test', 'docs.test.ts')
const SKIPPED_FOLDERS = new Set(['node_modules', '.tmp', 'data', '.git', '.jitlite'])

/** Source and documentation files of the repository, relative to its root. */
function repositoryFiles(): string[] {
  const found: string[] = ['README.md']
  const walk = (folder: string): void => {
    for (const entry of fs.readdirSync(path.join(root, folder), { withFileTypes: true })) {
      const relative = path.join(folder, entry.name)
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) walk(relative)
      } else if (/\.(ts|mjs|md)$/.test(entry.name)) found.push(relative)
    }
  }
  for (const folder of ['app', 'bin', 'docs', 'runtime', 'scripts', 'test', 'types']) {
    if (fs.existsSync(path.join(root, folder))) walk(folder)
  }
  return found
}

const read = (relative: string): string => fs.readFileSync(path.join(root, relative), 'utf8')

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorsOf(page: string): Set<string> {
  const headings = read(page).match(/^#+ .+$/gm) ?? []
  return new Set(
    headings.map((line) =>
      line
        .replace(/^#+ /, '')
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  )
}

describe('docs', () => {
  it('are the only notes the repository cites: none kept outside it', () => {
    // Built from parts so that this file does not match itself.
    const outside = new RegExp(
      `\\b(${['WECHAT', 'SECURITY', 'DESIGN', 'WECOM', 'REVIEW'].join('|')})\\.md\\b|/shared/`,
    )
    const citing = repositoryFiles().filter((file) => file !== SELF && outside.test(read(file)))
    expect(citing, 'cite docs/wechat-protocol.md or docs/security.md instead').toEqual([])
  })

  it('cite anchors that are headings of the page they name', () => {
    const pages = new Map(['wechat-protocol.md', 'security.md'].map((p) => [p, anchorsOf(`docs/${p}`)]))
    const missing: string[] = []
    let citations = 0
    for (const file of repositoryFiles()) {
      const text = read(file)
      // `docs/security.md#case-3`, `wechat-protocol.md#code-exchange to #validate`, and a page's own `](#x)`.
      for (const match of text.matchAll(
        /(wechat-protocol|security)\.md#([\w-]+)((?:\s+(?:to|and)\s+#[\w-]+)*)/g,
      )) {
        const anchors = [match[2], ...[...match[3].matchAll(/#([\w-]+)/g)].map((m) => m[1])]
        for (const anchor of anchors) {
          citations++
          if (!pages.get(`${match[1]}.md`)?.has(anchor)) missing.push(`${file}: ${match[1]}.md#${anchor}`)
        }
      }
      const own = pages.get(path.basename(file))
      if (file.startsWith('docs') && own) {
        for (const match of text.matchAll(/\]\(#([\w-]+)\)/g)) {
          citations++
          if (!own.has(match[1])) missing.push(`${file}: #${match[1]}`)
        }
      }
    }
    expect(citations).toBeGreaterThan(40)
    expect(missing, 'each anchor must be a heading of its page').toEqual([])
  })

  it('name, in docs/security.md, tests that exist in the files they are said to be in', () => {
    const testFiles = repositoryFiles().filter((file) => file.endsWith('.test.ts'))
    const squash = (text: string) => text.replace(/\s+/g, ' ').replace(/\\'/g, "'")
    const page = squash(read('docs/security.md'))
    const missing: string[] = []
    let names = 0
    let current: string | undefined
    // A backquoted test file sets the file; each quoted "describe › test" after it must be in that file.
    for (const match of page.matchAll(/`([\w/.-]+\.test\.ts)`|"([^"]+)"/g)) {
      if (match[1]) {
        const candidates = testFiles.filter((f) => f === match[1] || f.endsWith(`/${match[1]}`))
        expect(candidates, `${match[1]} names one test file`).toHaveLength(1)
        current = candidates[0]
        continue
      }
      if (!current) continue
      const source = squash(read(current))
      for (const part of match[2].split('›').map((p) => p.trim())) {
        names++
        if (part && !source.includes(part)) missing.push(`${current}: ${part}`)
      }
    }
    expect(names).toBeGreaterThan(100)
    expect(missing, 'rename the test in docs/security.md too').toEqual([])
  })
})
