import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp, type JitApp, type JitError } from '../../runtime/index.ts'
import { memoryLogger } from '../../runtime/log.ts'
import { greeterFamily } from '../helpers/greeters.ts'
import { appJson, type FileTree, writeTempTree } from '../helpers/temp-app.ts'

const apps: JitApp[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()))
})

async function open(tree: FileTree, env: Record<string, string> = {}) {
  const dir = writeTempTree({ 'app.json': appJson(), ...greeterFamily, ...tree })
  const logger = memoryLogger()
  const app = await createApp({ appDir: dir, env, logger })
  apps.push(app)
  return { app, dir, logger }
}

function problemOf(app: JitApp, element: string): JitError {
  const problem = app.problems.find((p) => p.element === element)
  if (!problem)
    throw new Error(
      `expected a problem for ${element}; got ${app.problems.map((p) => p.format()).join('\n')}`,
    )
  return problem
}

function thrownBy(fn: () => unknown): JitError {
  try {
    fn()
  } catch (err) {
    return err as JitError
  }
  throw new Error('expected a throw')
}

describe('bad input: each is reported with its code, file and field, and the rest of the app works', () => {
  it('malformed e.json: line and column', async () => {
    const { app, dir } = await open({
      'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
      'greeters/Broken/e.json': '{\n  "title": "Broken",\n  "type": "greeters.FriendlyType",\n}\n',
    })
    const problem = problemOf(app, 'greeters.Broken')
    expect(problem.code).toBe('JIT_EJSON_MALFORMED')
    expect(problem.file).toBe(path.join(dir, 'greeters/Broken/e.json'))
    expect([problem.line, problem.column]).toEqual([4, 1])
    expect(problem.format()).toMatch(/e\.json:4:1: not valid JSON/)
    expect(thrownBy(() => app.getElement('greeters.Broken'))).toBe(problem)
    expect(app.getElement('greeters.English').greet('Ann')).toBe('Hello, Ann!')
  })

  it('missing title, missing type', async () => {
    const { app } = await open({
      'greeters/NoTitle/e.json': { type: 'greeters.FriendlyType' },
      'greeters/NoType/e.json': { title: 'No type' },
    })
    expect(problemOf(app, 'greeters.NoTitle')).toMatchObject({ code: 'JIT_EJSON_INVALID', field: 'title' })
    expect(problemOf(app, 'greeters.NoType')).toMatchObject({ code: 'JIT_EJSON_INVALID', field: 'type' })
    expect(problemOf(app, 'greeters.NoType').message).toContain('is required')
  })

  it('unknown type, with a suggestion', async () => {
    const { app, dir } = await open({
      'greeters/Typo/e.json': { title: 'Typo', type: 'greeters.FriendlyTyp' },
    })
    const problem = problemOf(app, 'greeters.Typo')
    expect(problem).toMatchObject({
      code: 'JIT_TYPE_UNKNOWN',
      field: 'type',
      file: path.join(dir, 'greeters/Typo/e.json'),
    })
    expect(problem.message).toContain('did you mean "greeters.FriendlyType"')
  })

  it('a cycle names every element in it', async () => {
    const { app } = await open({
      'loops/A/e.json': { title: 'A', type: 'loops.B' },
      'loops/A/type.ts': `import { defineType } from 'jitlite'\nexport default defineType({})\n`,
      'loops/B/e.json': { title: 'B', type: 'loops.C' },
      'loops/B/type.ts': `import { defineType } from 'jitlite'\nexport default defineType({})\n`,
      'loops/C/e.json': { title: 'C', type: 'loops.A' },
      'loops/C/type.ts': `import { defineType } from 'jitlite'\nexport default defineType({})\n`,
      'loops/Inst/e.json': { title: 'Instance of a loop', type: 'loops.A' },
    })
    for (const name of ['loops.A', 'loops.B', 'loops.C']) {
      const problem = problemOf(app, name)
      expect(problem.code).toBe('JIT_TYPE_CYCLE')
      expect(problem.message).toMatch(/loops\.A/)
      expect(problem.message).toMatch(/loops\.B/)
      expect(problem.message).toMatch(/loops\.C/)
    }
    expect(problemOf(app, 'loops.Inst').code).toBe('JIT_TYPE_CHAIN_BROKEN')
  })

  it('an Instance typed on a Meta', async () => {
    const { app } = await open({ 'greeters/Direct/e.json': { title: 'Direct', type: 'greeters.Meta' } })
    expect(problemOf(app, 'greeters.Direct')).toMatchObject({ code: 'JIT_INSTANCE_OF_META', field: 'type' })
  })

  it('a Type chain that does not end at a Meta', async () => {
    const { app } = await open({
      'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
      'greeters/OddType/e.json': { title: 'Typed on an Instance', type: 'greeters.English' },
      'greeters/OddType/type.ts': `import { defineType } from 'jitlite'\nexport default defineType({})\n`,
    })
    const problem = problemOf(app, 'greeters.OddType')
    expect(problem.code).toBe('JIT_TYPE_CHAIN_BROKEN')
    expect(problem.message).toContain('never reaches a Meta')
  })

  it('config failing its schema names the file and field', async () => {
    const { app, dir } = await open({
      'greeters/Bad/e.json': { title: 'Bad', type: 'greeters.FriendlyType' },
      'greeters/Bad/Bad.json': { greeting: 42, punctuation: '?' },
    })
    const problems = app.problems.filter((p) => p.element === 'greeters.Bad')
    expect(problems.map((p) => [p.code, p.field])).toEqual([
      ['JIT_CONFIG_INVALID', 'greeting'],
      ['JIT_CONFIG_INVALID', 'punctuation'],
    ])
    expect(problems[0].file).toBe(path.join(dir, 'greeters/Bad/Bad.json'))
  })

  it('malformed business config JSON', async () => {
    const { app } = await open({
      'greeters/Half/e.json': { title: 'Half', type: 'greeters.FriendlyType' },
      'greeters/Half/Half.json': '{ "greeting": "Hel',
    })
    expect(problemOf(app, 'greeters.Half')).toMatchObject({ code: 'JIT_CONFIG_MALFORMED', line: 1 })
  })

  it('a missing ${NAME} names the element and key', async () => {
    const { app } = await open({
      'greeters/Env/e.json': { title: 'Env', type: 'greeters.FriendlyType' },
      'greeters/Env/Env.json': { greeting: '${GREETING_TEXT}' },
    })
    const problem = problemOf(app, 'greeters.Env')
    expect(problem).toMatchObject({ code: 'JIT_CONFIG_ENV_MISSING', field: 'greeting' })
    expect(problem.message).toContain('GREETING_TEXT')
    expect(problem.message).toContain('greeters.Env')
  })

  it('a Type whose type.ts exports no Type definition', async () => {
    const { app } = await open({
      'odd/Meta/e.json': { title: 'Odd', type: '' },
      'odd/NotAType/e.json': { title: 'Not a type', type: 'odd.Meta' },
      'odd/NotAType/type.ts': `export default { load: () => 1 }\n`,
      'odd/Inst/e.json': { title: 'Inst', type: 'odd.NotAType' },
    })
    expect(problemOf(app, 'odd.NotAType').code).toBe('JIT_TYPE_ENTRY_INVALID')
    expect(problemOf(app, 'odd.Inst').code).toBe('JIT_TYPE_CHAIN_BROKEN')
  })

  it('code that fails to import', async () => {
    const { app } = await open({
      'odd/Meta/e.json': { title: 'Odd', type: '' },
      'odd/Throws/e.json': { title: 'Throws', type: 'odd.Meta' },
      'odd/Throws/type.ts': `throw new Error('boom at import')\n`,
    })
    expect(problemOf(app, 'odd.Throws')).toMatchObject({ code: 'JIT_CODE_LOAD_FAILED' })
    expect(problemOf(app, 'odd.Throws').message).toContain('boom at import')
  })
})

describe('secrets never appear in messages', () => {
  const secretValue = 'sk_live_9f8e7d6c5b4a3210'
  it('keeps a secret value out of every problem, log line and listing', async () => {
    const { app, logger } = await open(
      {
        'greeters/FriendlyType/type.ts': `
import { defineType, secret, z } from 'jitlite'
export default defineType({
  config: z.object({
    greeting: z.string(),
    apiKey: secret(z.string().refine((v) => v.startsWith('ok_'), { message: 'bad key' })),
  }),
  load: ({ config }) => { throw new Error('cannot connect with ' + config.apiKey) },
})
`,
        'greeters/Leaky/e.json': { title: 'Leaky', type: 'greeters.FriendlyType' },
        'greeters/Leaky/Leaky.json': { greeting: 'hi', apiKey: secretValue },
        'greeters/LeakyEnv/e.json': { title: 'Leaky env', type: 'greeters.FriendlyType' },
        'greeters/LeakyEnv/LeakyEnv.json': { greeting: 'hi', apiKey: '${LEAKY_KEY}' },
        'greeters/Loads/e.json': { title: 'Loads', type: 'greeters.FriendlyType' },
        'greeters/Loads/Loads.json': { greeting: 'hi', apiKey: `ok_${secretValue}` },
      },
      { LEAKY_KEY: secretValue },
    )
    expect(problemOf(app, 'greeters.Leaky')).toMatchObject({ code: 'JIT_CONFIG_INVALID', field: 'apiKey' })
    expect(problemOf(app, 'greeters.LeakyEnv')).toMatchObject({ code: 'JIT_CONFIG_INVALID', field: 'apiKey' })
    const loadError = thrownBy(() => app.getElement('greeters.Loads'))
    expect(loadError.code).toBe('JIT_ELEMENT_BROKEN')
    expect(loadError.message).toContain('[redacted]')
    const everything = [
      ...app.problems.map((p) => `${p.format()} ${JSON.stringify(p)}`),
      ...logger.lines,
      JSON.stringify(app.listElements()),
      loadError.message,
      JSON.stringify(loadError),
    ].join('\n')
    expect(everything).not.toContain(secretValue)
  })

  it('refuses an empty or placeholder secret', async () => {
    const { app } = await open({
      'greeters/Empty/e.json': { title: 'Empty', type: 'greeters.FriendlyType' },
      'greeters/Empty/Empty.json': { apiKey: '' },
      'greeters/Placeholder/e.json': { title: 'Placeholder', type: 'greeters.FriendlyType' },
      'greeters/Placeholder/Placeholder.json': { apiKey: 'your_api_key_here' },
    })
    expect(problemOf(app, 'greeters.Empty')).toMatchObject({ code: 'JIT_CONFIG_INVALID', field: 'apiKey' })
    expect(problemOf(app, 'greeters.Placeholder')).toMatchObject({
      code: 'JIT_CONFIG_INVALID',
      field: 'apiKey',
    })
  })
})

describe('app.json', () => {
  it('refuses to start without a usable app.json, naming the file', async () => {
    const dir = writeTempTree({ 'app.json': { orgId: 'x' } })
    await expect(createApp({ appDir: dir, env: {}, logger: memoryLogger() })).rejects.toMatchObject({
      code: 'JIT_APP_JSON_INVALID',
      file: path.join(dir, 'app.json'),
    })
    fs.rmSync(path.join(dir, 'app.json'))
    await expect(createApp({ appDir: dir, env: {}, logger: memoryLogger() })).rejects.toMatchObject({
      code: 'JIT_APP_JSON_INVALID',
    })
  })
})
