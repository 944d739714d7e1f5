/**
 * The Type-author contract as the compiler sees it: a login Type written as a third party writes it
 * (importing only 'jitlite' and its entry points) compiles, and a misspelt or mistyped member of
 * `defineType` is an error. The fixtures are compiled with the repository's tsconfig, 'jitlite'
 * resolved through package.json `exports` as a dependent project resolves it.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

const THIRD_PARTY_TYPE = `
import { defineType, secret, z } from 'jitlite'
import type { CallbackParams, LoginProvider, LoginResult } from 'jitlite/auth'
import type { HttpAction, PageDefinition, RouteContext, SandboxDefinition } from 'jitlite/http'

const config = z.object({ clientId: z.string(), clientSecret: secret(z.string()), path: z.string() })
type Config = z.infer<typeof config>

class ExampleLogin implements LoginProvider {
  constructor(readonly config: Config) {}
  getLoginConfig() {
    return { clientId: this.config.clientId }
  }
  allowedRedirectOrigins() {
    return []
  }
  createLoginUrl(input: { state: string; callbackUrl: string }) {
    return \`https://login.example.com/?state=\${input.state}\`
  }
  readCallback(query: Readonly<Record<string, string>>): CallbackParams {
    return query.code ? { kind: 'code', code: query.code } : { kind: 'denied' }
  }
  async completeLogin(): Promise<LoginResult> {
    return { status: 'success', user: { userKey: '1' } }
  }
}

const whoami: HttpAction<ExampleLogin, Config> = {
  method: 'GET',
  handler: (ctx: RouteContext<ExampleLogin, Config>) => ({ clientId: ctx.instance.config.clientId }),
}
const page: PageDefinition<Config> = { pathOf: (c) => c.path, render: ({ headTags }) => headTags }
declare const sandbox: SandboxDefinition

export default defineType<Config, ExampleLogin>({
  config,
  load: ({ config }) => new ExampleLogin(config),
  dispose: () => {},
  routes: { whoami, status: { method: 'POST', handler: ({ instance }) => instance.getLoginConfig() } },
  browserConfig: (login) => login.getLoginConfig(),
  page,
  sandbox,
})
`

// Each line marked \`// error\` must have a compile error, and no other line may.
const MISTAKES = `
import { defineType, z } from 'jitlite'

export const misspelt = defineType({
  config: z.object({ name: z.string() }),
  rotues: { hello: { method: 'GET', handler: () => 'hi' } }, // error
})

export const wrongMethod = defineType({
  routes: { hello: { method: 'PUT', handler: () => 'hi' } }, // error
})

export const wrongPage = defineType({
  config: z.object({ path: z.string() }),
  page: { pathOf: (config) => config.path }, // error
})

export const wrongBrowserConfig = defineType({
  load: () => ({ secret: 'x' }),
  browserConfig: (instance) => instance.secret, // error
})
`

let dir: string
let diagnostics: readonly ts.Diagnostic[]

beforeAll(() => {
  // Inside the package, so that 'jitlite' resolves through its own `exports`, as from node_modules.
  const tmp = path.join(ROOT, 'test', '.tmp')
  fs.mkdirSync(tmp, { recursive: true })
  dir = fs.mkdtempSync(path.join(tmp, 'type-contract-'))
  fs.writeFileSync(path.join(dir, 'third-party-type.ts'), THIRD_PARTY_TYPE)
  fs.writeFileSync(path.join(dir, 'mistakes.ts'), MISTAKES)
  const tsconfig = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile)
  const { options } = ts.parseJsonConfigFileContent(tsconfig.config, ts.sys, ROOT)
  const program = ts.createProgram({
    rootNames: [path.join(dir, 'third-party-type.ts'), path.join(dir, 'mistakes.ts')],
    options: { ...options, noEmit: true },
  })
  diagnostics = ts.getPreEmitDiagnostics(program)
}, 180_000)

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

function errorsIn(file: string) {
  return diagnostics
    .filter((d) => d.file && path.basename(d.file.fileName) === file)
    .map((d) => ({
      line: d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line,
      message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    }))
}

describe('defineType as a Type author writes it', () => {
  it('compiles a login Type that imports only jitlite, jitlite/auth and jitlite/http', () => {
    expect(errorsIn('third-party-type.ts')).toEqual([])
  })

  it('refuses a misspelt member, a wrong method, an incomplete page and a wrong browserConfig', () => {
    const marked = MISTAKES.split('\n').flatMap((text, line) => (text.endsWith('// error') ? [line] : []))
    const errors = errorsIn('mistakes.ts')
    expect([...new Set(errors.map((e) => e.line))]).toEqual(marked)
    expect(errors.find((e) => e.line === marked[0])?.message).toMatch(
      /'rotues' does not exist.*Did you mean to write 'routes'/s,
    )
  })
})
