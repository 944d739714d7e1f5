/**
 * The provider sandboxes of the official Types are built on jitlite/sandbox, as a third party's would
 * be: they import jitlite's public entry points (never runtime/), their own folder and a few packages,
 * and keep no copy of the toolkit's machinery.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const TYPES = fileURLToPath(new URL('../../types/auths/loginTypes/', import.meta.url))
const SANDBOXES = ['WechatPublicType/sandbox', 'QywxInnerType/sandbox']
const ALLOWED = /^(jitlite(\/(http|sandbox))?|node:[\w/]+|fastify|zod|qrcode)$/
/** What only the toolkit defines: a second definition is a copy. */
const TOOLKIT_ONLY = [
  /class (FaultBook|HungSockets|SandboxClock|MinuteQuota)\b/,
  /\bparseArgs\(/,
  /\bsetErrorHandler\(/,
  /function gatewayPage\b/,
  /\bforceCloseConnections\b/,
  /\bKEEP_EXPIRED_MS\b/,
  /\bDOUBLE_DELIVERY_CSP =/,
  /function (hostMatchesDomain|headerSafe|readFixturesFile|rawQueryOf|cookieValue|zeroCounters)\b/,
  /\baddHook\('preClose'/,
]

const sources = (folder: string) =>
  fs
    .readdirSync(path.join(TYPES, folder))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ({
      file: `${folder}/${file}`,
      text: fs.readFileSync(path.join(TYPES, folder, file), 'utf8'),
    }))

describe('the provider sandboxes', () => {
  it('import jitlite/sandbox and other public entry points, their own files and a few packages only', () => {
    const outside: string[] = []
    let kitImports = 0
    for (const folder of SANDBOXES) {
      for (const { file, text } of sources(folder)) {
        // Static imports and re-exports at the start of a line, and dynamic imports.
        for (const match of text.matchAll(
          /^(?:import|export)\s+(?:type\s+)?(?:\{[^}]*\}|\*(?:\s+as\s+\w+)?|\w+(?:\s*,\s*\{[^}]*\})?)\s+from\s+'([^']+)'|\bimport\(\s*'([^']+)'/gm,
        )) {
          const specifier = match[1] ?? match[2]
          if (specifier === 'jitlite/sandbox') kitImports++
          if (specifier.startsWith('./')) continue
          if (!ALLOWED.test(specifier)) outside.push(`${file}: ${specifier}`)
        }
      }
    }
    expect(outside).toEqual([])
    expect(kitImports).toBeGreaterThan(10)
  })

  it("keep no copy of the toolkit's machinery (faults, clock, quota, CLI, admin, server, fixtures, redirects, sweeps)", () => {
    const copies: string[] = []
    for (const folder of SANDBOXES)
      for (const { file, text } of sources(folder))
        for (const pattern of TOOLKIT_ONLY) if (pattern.test(text)) copies.push(`${file}: ${pattern}`)
    expect(copies).toEqual([])
  })
})
