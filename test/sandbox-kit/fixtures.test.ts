/** jitlite/sandbox's readFixtures: a sandbox's fixtures from a file or an object, with coded errors. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { readFixtures, SandboxError } from 'jitlite/sandbox'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'

class KitError extends SandboxError<'KIT_FIXTURES_INVALID'> {}
const schema = z.strictObject({
  clients: z.array(z.strictObject({ id: z.string().min(1), secret: z.string().length(8) })).min(1),
})
const reading = {
  what: 'Kit sandbox fixtures',
  invalid: (message: string, cause?: unknown) => new KitError('KIT_FIXTURES_INVALID', message, { cause }),
}
const folder = mkdtempSync(join(tmpdir(), 'sandbox-kit-fixtures-'))
const write = (name: string, text: string) => {
  const file = join(folder, name)
  writeFileSync(file, text)
  return file
}

/** The error `act` throws (it must throw). */
function thrown(act: () => unknown): KitError {
  try {
    act()
  } catch (error) {
    expect(error).toBeInstanceOf(KitError)
    return error as KitError
  }
  throw new Error('nothing thrown')
}

describe('readFixtures', () => {
  it('reads a file by path or URL, and copies an object', () => {
    const file = write('good.json', JSON.stringify({ clients: [{ id: 'demo', secret: 'abcdefgh' }] }))
    expect(readFixtures(file, schema, reading)).toEqual({ clients: [{ id: 'demo', secret: 'abcdefgh' }] })
    expect(readFixtures(pathToFileURL(file), schema, reading).clients[0].id).toBe('demo')
    const given = { clients: [{ id: 'mine', secret: '12345678' }] }
    const read = readFixtures(given, schema, reading)
    read.clients[0].id = 'changed'
    expect(given.clients[0].id).toBe('mine')
  })

  it('names a file it cannot read, and says to check the path', () => {
    const error = thrown(() => readFixtures(join(folder, 'missing.json'), schema, reading))
    expect(error.code).toBe('KIT_FIXTURES_INVALID')
    expect(error.message).toBe(
      `Cannot read the fixtures file ${join(folder, 'missing.json')}: check the path given to --fixtures or the fixtures option.`,
    )
  })

  it('gives only the position of a JSON syntax error, never the text around it', () => {
    const file = write('broken.json', '{"clients": [{"id": "demo", "secret": "s3cr3t!!" oops}]}')
    const error = thrown(() => readFixtures(file, schema, reading))
    expect(error.message).toMatch(
      /^The fixtures file .*broken\.json is not valid JSON \(at character \d+\): fix its syntax\.$/,
    )
    expect(error.message).not.toContain('s3cr3t')
  })

  it('lists every field that does not match, for a file and for an object', () => {
    const file = write('wrong.json', JSON.stringify({ clients: [{ id: '', secret: 'short' }], extra: 1 }))
    const error = thrown(() => readFixtures(file, schema, reading))
    expect(error.message).toContain(`${file} is not valid Kit sandbox fixtures (`)
    expect(error.message).toContain('clients.0.id: ')
    expect(error.message).toContain('clients.0.secret: ')
    expect(error.message).toContain('(root): ')
    expect(error.message).toMatch(/Fix these fields; fixtures\.json beside the sandbox shows the shape\.$/)
    const fromObject = thrown(() => readFixtures({ clients: [] }, schema, reading))
    expect(fromObject.message).toMatch(/^the fixtures object is not valid Kit sandbox fixtures \(clients: /)
  })
})
