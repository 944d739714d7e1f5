/**
 * QywxInnerType is written as a third party would write it: outside its sandbox (a development tool
 * with its own server), it imports only jitlite's public entry points, Node's built-ins and its own files.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const TYPE_DIR = fileURLToPath(new URL('../../types/auths/loginTypes/QywxInnerType/', import.meta.url))
const PUBLIC =
  /^(jitlite|jitlite\/(auth|db|http|crypto|browser)|jitlite\/types\/[\w/]+\/type\.ts|node:[\w/]+)$/

function typeFiles(folder = ''): string[] {
  return fs.readdirSync(path.join(TYPE_DIR, folder), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(folder, entry.name)
    if (entry.isDirectory()) return relative === 'sandbox' ? [] : typeFiles(relative)
    return entry.name.endsWith('.ts') ? [relative] : []
  })
}

describe('QywxInnerType imports', () => {
  it('only jitlite, its public entry points, node: built-ins and its own files', () => {
    const files = typeFiles()
    expect(files.length).toBeGreaterThan(10)
    const outside: string[] = []
    for (const file of files) {
      const text = fs.readFileSync(path.join(TYPE_DIR, file), 'utf8')
      for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        if (specifier.startsWith('.')) {
          // Its own files: never reaching out of the Type's folder.
          const target = path.resolve(TYPE_DIR, path.dirname(file), specifier)
          if (!target.startsWith(TYPE_DIR)) outside.push(`${file}: ${specifier}`)
        } else if (!PUBLIC.test(specifier)) outside.push(`${file}: ${specifier}`)
      }
    }
    expect(outside).toEqual([])
  })
})
