/**
 * docs/wecom-protocol.md is what the WeCom sandbox's comments cite: every `wecom-protocol.md#anchor`
 * they name is a heading of the page, and every switch the sandbox has is in its uncertain-behaviour
 * table (a new switch without a row, or a renamed heading, fails here).
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { DEFAULT_SWITCHES } from '../../types/auths/loginTypes/QywxInnerType/sandbox/index.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const PAGE = path.join(root, 'docs', 'wecom-protocol.md')
const SANDBOX = path.join(root, 'types', 'auths', 'loginTypes', 'QywxInnerType', 'sandbox')

function anchorsOf(text: string): Set<string> {
  return new Set(
    (text.match(/^#+ .+$/gm) ?? []).map((line) =>
      line
        .replace(/^#+ /, '')
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  )
}

describe('docs/wecom-protocol.md', () => {
  const page = fs.readFileSync(PAGE, 'utf8')
  const anchors = anchorsOf(page)

  it('has every anchor the sandbox and its tests cite', () => {
    const files = [
      ...fs.readdirSync(SANDBOX).map((name) => path.join(SANDBOX, name)),
      ...fs
        .readdirSync(path.join(root, 'test', 'wecom-sandbox'))
        .map((name) => path.join(root, 'test', 'wecom-sandbox', name)),
    ].filter((file) => /\.(ts|md)$/.test(file) && file !== fileURLToPath(import.meta.url))
    const missing: string[] = []
    let citations = 0
    for (const file of files) {
      // "wecom-protocol.md#a", "#a to #b", "#a and #b", also across a comment's line break.
      const text = fs.readFileSync(file, 'utf8').replace(/\n\s*\*\s*/g, ' ')
      for (const match of text.matchAll(/wecom-protocol\.md#([\w-]+)((?:\s+(?:to|and)\s+#[\w-]+)*)/g)) {
        for (const anchor of [match[1], ...[...match[2].matchAll(/#([\w-]+)/g)].map((m) => m[1])]) {
          citations++
          if (!anchors.has(anchor)) missing.push(`${path.relative(root, file)}: #${anchor}`)
        }
      }
    }
    for (const match of page.matchAll(/\]\(#([\w-]+)\)/g)) {
      citations++
      if (!anchors.has(match[1])) missing.push(`docs/wecom-protocol.md: #${match[1]}`)
    }
    expect(citations).toBeGreaterThan(15)
    expect(missing).toEqual([])
  })

  it('lists every switch of the sandbox', () => {
    const listed = new Set([...page.matchAll(/^\| `(\w+)` \|/gm)].map((match) => match[1]))
    const undocumented = Object.keys(DEFAULT_SWITCHES).filter(
      (name) => !listed.has(name) && !['pickerOnBase', 'ratePerMinute'].includes(name),
    )
    expect(undocumented).toEqual([])
  })
})
