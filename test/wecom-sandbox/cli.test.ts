import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runWecomSandboxCli } from '../../types/auths/loginTypes/QywxInnerType/sandbox/index.ts'
import { DEMO, rawRequest } from './helpers.ts'

function capture() {
  const out: string[] = []
  const err: string[] = []
  let stop = () => {}
  const stopped = new Promise<void>((resolve) => {
    stop = resolve
  })
  let announce = (_url: string) => {}
  const started = new Promise<string>((resolve) => {
    announce = resolve
  })
  const io = {
    out: (line: string) => {
      out.push(line)
      const url = /^WeCom sandbox listening on (\S+)/.exec(line)?.[1]
      if (url) announce(url)
    },
    err: (line: string) => err.push(line),
    untilStopped: () => stopped,
  }
  return { io, out, err, stop, started }
}

describe('runWecomSandboxCli (jit sandbox wecom)', () => {
  it('prints the base URL, the demo app and the admin endpoints, serves until stopped, then closes', async () => {
    const cli = capture()
    const exit = runWecomSandboxCli(['--port', '0'], cli.io)
    const url = await cli.started
    const printed = cli.out.join('\n')
    expect(printed).toContain(`oauthBaseUrl, loginBaseUrl and apiBaseUrl: ${url}`)
    expect(printed).toContain(`${url}/__admin/tokens/invalidate`)
    expect(printed).toContain(DEMO.corpId)
    expect(printed).not.toContain(DEMO.corpSecret)
    expect((await rawRequest(`${url}/cgi-bin/gettoken`)).status).toBe(200)
    cli.stop()
    expect(await exit).toBe(0)
    await expect(rawRequest(`${url}/__admin/state`)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('loads --fixtures; exit 1 with the code on bad fixtures, 2 with usage on bad arguments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wecom-sandbox-cli-'))
    const file = join(dir, 'bad.json')
    writeFileSync(
      file,
      JSON.stringify({ corp: { corpid: 'nope', name: 'x' }, apps: [], departments: [], members: [] }),
    )
    const bad = capture()
    expect(await runWecomSandboxCli(['--port', '0', '--fixtures', file], bad.io)).toBe(1)
    expect(bad.err.join('\n')).toContain('WECOM_SANDBOX_FIXTURES_INVALID')
    expect(bad.err.join('\n')).toContain('corp.corpid')
    for (const args of [['--port', 'abc'], ['--nope']]) {
      const cli = capture()
      expect(await runWecomSandboxCli(args, cli.io)).toBe(2)
      expect(cli.err.join('\n')).toContain('Usage: jit sandbox wecom')
    }
  })
})
