import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runSandboxCli } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { rawRequest } from './helpers.ts'

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
      const url = /^WeChat sandbox listening on (\S+)/.exec(line)?.[1]
      if (url) announce(url)
    },
    err: (line: string) => err.push(line),
    untilStopped: () => stopped,
  }
  return { io, out, err, stop, started }
}

describe('runSandboxCli (jit sandbox wechat)', () => {
  it('prints the base URL and admin endpoints, serves until stopped, then closes', async () => {
    const cli = capture()
    const exit = runSandboxCli(['--port', '0', '--host', '127.0.0.1'], cli.io)
    const url = await cli.started
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const printed = cli.out.join('\n')
    expect(printed).toContain(`oauthBaseUrl and apiBaseUrl: ${url}`)
    expect(printed).toContain(`${url}/__admin/clock/advance`)
    expect(printed).toContain('wx5a3c7f1e9b2d4680')
    expect(printed).not.toContain('3f9c2a7e5b1d4c8096e7a2b4d1f08c35')
    expect((await rawRequest(`${url}/__admin/state`)).status).toBe(200)
    cli.stop()
    expect(await exit).toBe(0)
    await expect(rawRequest(`${url}/__admin/state`)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('loads --fixtures relative to the working directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wechat-sandbox-cli-'))
    const file = join(dir, 'mine.json')
    writeFileSync(
      file,
      JSON.stringify({
        apps: [{ appid: 'wx99887766554433aa', secret: 'ef'.repeat(16), name: 'Mine' }],
        users: [{ key: 'me', nickname: 'Me', avatar: null }],
      }),
    )
    const cli = capture()
    const exit = runSandboxCli(['--port', '0', '--fixtures', file], cli.io)
    const url = await cli.started
    const state = JSON.parse((await rawRequest(`${url}/__admin/state`)).text)
    expect(state.apps.map((app: { appid: string }) => app.appid)).toEqual(['wx99887766554433aa'])
    cli.stop()
    expect(await exit).toBe(0)
  })

  it('exit 2 with usage on bad arguments, 1 with the code on bad fixtures, 0 on --help', async () => {
    for (const args of [['--port', 'abc'], ['--port', '70000'], ['--nope']]) {
      const cli = capture()
      expect(await runSandboxCli(args, cli.io), args.join(' ')).toBe(2)
      expect(cli.err.join('\n')).toContain('Usage: jit sandbox wechat')
    }
    const missing = capture()
    expect(await runSandboxCli(['--port', '0', '--fixtures', '/nonexistent/fixtures.json'], missing.io)).toBe(
      1,
    )
    expect(missing.err.join('\n')).toContain('WECHAT_SANDBOX_FIXTURES_INVALID')
    const help = capture()
    expect(await runSandboxCli(['--help'], help.io)).toBe(0)
    expect(help.out.join('\n')).toContain('--fixtures')
  })
})
