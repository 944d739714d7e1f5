import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadAppEnvFile, parseEnvText, storeEnvValues } from '../../runtime/console/env-file.ts'
import { writeTempTree } from '../helpers/temp-app.ts'

describe("the app's .env", () => {
  it('reads NAME=value lines, quotes, export and comments', () => {
    const values = parseEnvText(
      [
        '# comment',
        'A=1',
        'export B = two words # note',
        'C="x\\ny \\"q\\""',
        "D='lit\\n'",
        'E=',
        'bad line',
      ].join('\n'),
    )
    expect(Object.fromEntries(values)).toEqual({ A: '1', B: 'two words', C: 'x\ny "q"', D: 'lit\\n', E: '' })
  })

  it('never overrides the real environment, but a later store replaces what it loaded', () => {
    const appDir = writeTempTree({ '.env': 'FROM_FILE=file\nREAL=file\n' })
    const env: NodeJS.ProcessEnv = { REAL: 'real' }
    expect(loadAppEnvFile(appDir, env)).toEqual(['FROM_FILE'])
    expect(env).toEqual({ REAL: 'real', FROM_FILE: 'file' })
    storeEnvValues(appDir, { FROM_FILE: 'new value', REAL: 'stored', ADDED: 'a"b' }, env)
    expect(env).toEqual({ REAL: 'real', FROM_FILE: 'new value', ADDED: 'a"b' })
    expect(fs.readFileSync(path.join(appDir, '.env'), 'utf8')).toBe(
      'FROM_FILE="new value"\nREAL=stored\nADDED="a\\"b"\n',
    )
    expect(Object.fromEntries(parseEnvText(fs.readFileSync(path.join(appDir, '.env'), 'utf8')))).toEqual({
      FROM_FILE: 'new value',
      REAL: 'stored',
      ADDED: 'a"b',
    })
  })

  it('is created with mode 0600 and ignored by git, once', () => {
    const appDir = writeTempTree({ '.gitignore': 'node_modules' })
    storeEnvValues(appDir, { SECRET_ONE: 'x' }, {})
    storeEnvValues(appDir, { SECRET_TWO: 'y' }, {})
    expect(fs.statSync(path.join(appDir, '.env')).mode & 0o777).toBe(0o600)
    expect(fs.readFileSync(path.join(appDir, '.gitignore'), 'utf8')).toBe('node_modules\n.env\n')
    expect(fs.readFileSync(path.join(appDir, '.env'), 'utf8')).toBe('SECRET_ONE=x\nSECRET_TWO=y\n')
  })
})
