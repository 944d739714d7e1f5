import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { greeterFamily } from './helpers/greeters.ts'
import { appJson, writeTempTree } from './helpers/temp-app.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const jitBin = path.join(root, 'bin/jit.mjs')

function jit(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const run = spawnSync(process.execPath, [jitBin, ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

describe('jit check', () => {
  it('exits 0 on the demo app', () => {
    const result = jit(['check', 'app'])
    expect(result.stderr).toBe('')
    expect(result.stdout).toMatch(/elements, no problems/)
    expect(result.code).toBe(0)
  })

  it('lists every problem of a broken app as file: field: message (CODE) and exits 1', () => {
    const dir = writeTempTree({
      'app.json': appJson(),
      ...greeterFamily,
      'greeters/Good/e.json': { title: 'Good', type: 'greeters.FriendlyType' },
      'greeters/Typo/e.json': { title: 'Typo', type: 'greeters.FriendlyTyp' },
      'greeters/NoTitle/e.json': { type: 'greeters.FriendlyType' },
      'greeters/Malformed/e.json': '{ "title": "x", ',
      'greeters/BadConfig/e.json': { title: 'Bad config', type: 'greeters.FriendlyType' },
      'greeters/BadConfig/BadConfig.json': { punctuation: '?' },
    })
    const result = jit(['check', '.'], { cwd: dir })
    expect(result.code).toBe(1)
    const lines = result.stdout.trim().split('\n')
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^greeters\/Typo\/e\.json: type: unknown type "greeters\.FriendlyTyp"; did you mean "greeters\.FriendlyType"\? \(JIT_TYPE_UNKNOWN\)$/,
        ),
        expect.stringMatching(/^greeters\/NoTitle\/e\.json: title: .* \(JIT_EJSON_INVALID\)$/),
        expect.stringMatching(
          /^greeters\/Malformed\/e\.json:1:\d+: not valid JSON.* \(JIT_EJSON_MALFORMED\)$/,
        ),
        expect.stringMatching(
          /^greeters\/BadConfig\/BadConfig\.json: punctuation: .* \(JIT_CONFIG_INVALID\)$/,
        ),
        expect.stringMatching(/^4 problems in \d+ elements$/),
      ]),
    )
    expect(result.stdout).not.toContain('greeters/Good')
  })
})

describe('jit elements', () => {
  it('prints the tree with layer, type and source app', () => {
    const dir = writeTempTree({
      'app.json': appJson(),
      ...greeterFamily,
      'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
    })
    const result = jit(['elements', dir])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^greeters$/m)
    expect(result.stdout).toMatch(/^ {2}English +Instance +greeters\.FriendlyType +tests\.testapp$/m)
    expect(result.stdout).toMatch(/^ {2}FriendlyType +Type +greeters\.Meta +tests\.testapp$/m)
    expect(result.stdout).toMatch(/^ {2}NormalType +Type +services\.Meta +jit\.framework$/m)
  })
})

describe('jit run', () => {
  it('runs a script with `app` in scope that calls a user service element', () => {
    const dir = writeTempTree({
      'app.json': appJson(),
      'services/HelloSvc/e.json': {
        title: 'Hello',
        type: 'services.NormalType',
        functionList: [{ name: 'hello', args: [{ name: 'name', dataType: 'Stext' }] }],
      },
      'services/HelloSvc/index.ts': `
import { Service } from 'jitlite'

export default class HelloSvc extends Service {
  hello(name: string) {
    return \`Hello, \${name}! (from \${this.element.fullName})\`
  }
}
`,
      'scripts/hello.ts': `
const svc = app.getElement('services.HelloSvc')
console.log(svc.hello('x'))
`,
    })
    const result = jit(['run', 'scripts/hello.ts', '.'], { cwd: dir })
    expect(result.stderr).toBe('')
    expect(result.stdout.trim()).toBe('Hello, x! (from services.HelloSvc)')
    expect(result.code).toBe(0)
  })

  it('fails with the error code when the script asks for an unknown element', () => {
    const dir = writeTempTree({
      'app.json': appJson(),
      'scripts/oops.ts': `app.getElement('services.Nope')\n`,
    })
    const result = jit(['run', 'scripts/oops.ts', '.'], { cwd: dir })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('JIT_ELEMENT_NOT_FOUND')
  })
})
