/**
 * The entry points of package.json `exports` as `jit` resolves them for element code outside the
 * package (bin/jitlite-resolve.mjs): each subpath leads to the runtime, and a path it does not name is
 * refused with a message saying what to import instead.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { appJson, writeTempTree } from './helpers/temp-app.ts'

const jitBin = fileURLToPath(new URL('../bin/jit.mjs', import.meta.url))

function jit(args: string[], cwd: string) {
  const run = spawnSync(process.execPath, [jitBin, ...args], { cwd, encoding: 'utf8', timeout: 60_000 })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

const family = {
  'app.json': appJson('entries'),
  'greeters/Meta/e.json': { title: 'Greeters', type: '' },
  'greeters/EchoType/e.json': { title: 'Echo', type: 'greeters.Meta' },
  'greeters/Hi/e.json': { title: 'Hi', type: 'greeters.EchoType' },
  'greeters/EchoType/type.ts': `
import { defineType } from 'jitlite'
// Type-only entry points: imported for effect, since a type import is erased before it is resolved.
import 'jitlite/auth'
import 'jitlite/http'
import { randomBytesPooled } from 'jitlite/crypto'
import { SELECTOR_PATTERN } from 'jitlite/db'
import { MEMORY_DATABASE } from 'jitlite/db/sqlite'

export default defineType({
  load: () => ({ selector: SELECTOR_PATTERN, memory: MEMORY_DATABASE, bytes: randomBytesPooled(4).length }),
})
`,
  'scripts/show.ts': `console.log(JSON.stringify(app.getElement('greeters.Hi')))\n`,
}

/** An app of the greeters family whose EchoType is `typeTs`, in a temp folder. */
function appWithEchoType(typeTs: string): string {
  return writeTempTree({ ...family, 'greeters/EchoType/type.ts': typeTs }, 'jitlite-entries-')
}

describe('jitlite entry points under jit', () => {
  it('resolve from an app folder outside the package to the runtime', () => {
    const dir = writeTempTree(family, 'jitlite-entries-')
    const result = jit(['run', 'scripts/show.ts', '.'], dir)
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({ selector: '[0-9a-f]{32}', memory: ':memory:', bytes: 4 })
    expect(result.code).toBe(0)
  })

  it("lead to an official Type's face (type.ts, frontend.ts, sandbox/index.ts), not to the inside of its folder", () => {
    const official = 'jitlite/types/auths/loginTypes/WechatPublicType'
    const dir = appWithEchoType(`
import wechat from '${official}/type.ts'
import { WECHAT_SANDBOX_DEMO_APP } from '${official}/sandbox/index.ts'
import { defineType } from 'jitlite'
export default defineType({ load: () => ({ config: typeof wechat.config, appId: WECHAT_SANDBOX_DEMO_APP.appId }) })
`)
    const result = jit(['run', 'scripts/show.ts', '.'], dir)
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({ config: 'object', appId: expect.stringMatching(/^wx/) })

    const inside = appWithEchoType(`
import { WechatOAuthClient } from '${official}/client/client.ts'
import { defineType } from 'jitlite'
export default defineType({ load: () => ({ WechatOAuthClient }) })
`)
    const refused = jit(['check', '.'], inside)
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain(
      'Package subpath \'./types/auths/loginTypes/WechatPublicType/client/client.ts\' is not defined by "exports"',
    )
  })

  it('refuse a path package.json does not export, naming the entry points to use', () => {
    const dir = appWithEchoType(`
import { buildServer } from 'jitlite/runtime/http/server.ts'
import { defineType } from 'jitlite'
export default defineType({ load: () => ({ buildServer }) })
`)
    const result = jit(['check', '.'], dir)
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      `${path.join('greeters', 'EchoType', 'type.ts')}: cannot import type.ts: Package subpath './runtime/http/server.ts' is not defined by "exports" in jitlite's package.json: import 'jitlite' or one of its entry points`,
    )
  })
})
