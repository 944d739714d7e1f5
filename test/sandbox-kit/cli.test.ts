/** jitlite/sandbox's CLI runner (`jit sandbox <name>`), with a sandbox built from the toolkit. */
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ACME_ADMIN_ROUTES, runAcmeSandboxCli, startAcmeSandbox } from './acme-sandbox.ts'
import { rawRequest } from './helpers.ts'

function capture() {
  const out: string[] = []
  const err: string[] = []
  let stop = () => {}
  const stopped = new Promise<void>((resolveStop) => {
    stop = resolveStop
  })
  let announce = (_url: string) => {}
  const started = new Promise<string>((resolveStart) => {
    announce = resolveStart
  })
  const io = {
    out: (line: string) => {
      out.push(line)
      const url = /^Acme sandbox listening on (\S+)/.exec(line)?.[1]
      if (url) announce(url)
    },
    err: (line: string) => err.push(line),
    untilStopped: () => stopped,
  }
  return { io, out, err, stop, started }
}

/** A start function that records what it was asked for and never starts anything. */
function recordingStart() {
  const calls: unknown[] = []
  const start = async (options: unknown): Promise<never> => {
    calls.push(options)
    throw new Error('not started in this test')
  }
  return { calls, start }
}

describe('runSandboxCommand', () => {
  it('exit 2 with the reason and the usage on bad arguments, without starting anything', async () => {
    for (const args of [
      ['--port', 'abc'],
      ['--port', '70000'],
      ['--port', '-1'],
      ['--port', '80.5'],
      ['--nope'],
      ['stray'],
      ['--port'],
    ]) {
      const cli = capture()
      const { calls, start } = recordingStart()
      expect(await runAcmeSandboxCli(args, cli.io, start), args.join(' ')).toBe(2)
      const printed = cli.err.join('\n')
      expect(printed, args.join(' ')).toContain(
        'Usage: jit sandbox acme [--port 3199] [--host 127.0.0.1] [--fixtures path/to/fixtures.json]',
      )
      expect(printed).toContain('Runs the Acme sandbox until Ctrl+C.')
      expect(cli.out).toEqual([])
      expect(calls).toEqual([])
    }
    const badPort = capture()
    await runAcmeSandboxCli(['--port', 'abc'], badPort.io)
    expect(badPort.err[0]).toMatch(/^--port must be a whole number from 0 to 65535 \(got "abc"\)\./)
  })

  it('--help and -h print the usage and exit 0', async () => {
    for (const flag of ['--help', '-h']) {
      const cli = capture()
      const { calls, start } = recordingStart()
      expect(await runAcmeSandboxCli([flag], cli.io, start)).toBe(0)
      expect(cli.out.join('\n')).toMatch(/^Usage: jit sandbox acme /)
      expect(calls).toEqual([])
    }
  })

  it('start with the default port and host, and the fixtures path resolved from the working directory', async () => {
    const defaults = recordingStart()
    await runAcmeSandboxCli([], capture().io, defaults.start)
    expect(defaults.calls).toEqual([{ port: 3199, host: '127.0.0.1', fixtures: undefined }])
    const given = recordingStart()
    await runAcmeSandboxCli(
      ['--port', '0', '--host', '::1', '--fixtures', 'my/fixtures.json'],
      capture().io,
      given.start,
    )
    expect(given.calls).toEqual([{ port: 0, host: '::1', fixtures: resolve('my/fixtures.json') }])
  })

  it("exit 1 when the sandbox cannot start: its own error's code, a port in use, anything else", async () => {
    const coded = capture()
    expect(await runAcmeSandboxCli(['--port', '0', '--fixtures', 'x.broken'], coded.io)).toBe(1)
    expect(coded.err).toEqual(['The fixtures file is broken: fix its JSON. (ACME_SANDBOX_OPTION_INVALID)'])

    const taken = createServer()
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done))
    const port = (taken.address() as { port: number }).port
    try {
      const inUse = capture()
      expect(await runAcmeSandboxCli(['--port', String(port)], inUse.io)).toBe(1)
      expect(inUse.err).toEqual([
        `Port ${port} on 127.0.0.1 is in use: pass another with --port (0 picks a free one).`,
      ])
    } finally {
      await new Promise((done) => taken.close(done))
    }

    const other = capture()
    expect(await runAcmeSandboxCli([], other.io, recordingStart().start)).toBe(1)
    expect(other.err).toEqual(['The Acme sandbox could not start: not started in this test'])
  })

  it('prints the base URL, its banner, the fixtures and the admin routes, serves until stopped, then closes', async () => {
    const cli = capture()
    const exit = runAcmeSandboxCli(['--port', '0'], cli.io, startAcmeSandbox)
    const url = await cli.started
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(cli.out).toEqual([
      `Acme sandbox listening on ${url}`,
      `  acmeBaseUrl: ${url}`,
      `  fixtures: ${fileURLToPath(new URL('./acme-fixtures.json', import.meta.url))}`,
      '  admin API (JSON):',
      ...ACME_ADMIN_ROUTES.map(([method, path, what]) => `    ${method.padEnd(6)} ${url}${path}  ${what}`),
      'Press Ctrl+C to stop.',
    ])
    expect((await rawRequest(`${url}/login`)).status).toBe(200)
    cli.stop()
    expect(await exit).toBe(0)
    await expect(rawRequest(`${url}/login`)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })
})
