import { afterEach, describe, expect, it } from 'vitest'
import { type ConsoleHarness, startConsole } from './harness.ts'

let open: ConsoleHarness[] = []
afterEach(async () => {
  await Promise.all(open.map((h) => h.close()))
  open = []
})

// A Type of the app's own with help and check; its check is careless and quotes the token it got.
const pingType = `import { defineType, secret, z } from 'jitlite'

export default defineType({
  config: z.object({
    host: z.string().meta({ title: 'Host', placeholder: 'ping.example.com' }),
    token: secret(z.string().min(12)),
    retries: z.int().min(0).default(1),
  }),
  help: ({ instance, actionUrl, config }) => ({
    items: [{ label: 'Hook URL', value: actionUrl('hook'), copy: true }],
    text: \`\${instance} pings \${config.host ?? 'nothing yet'}\`,
  }),
  async check(config) {
    if (config.token === 'right-token-123') return { ok: true, message: \`reached \${config.host}\` }
    return { ok: false, code: 'JIT_CHECK_REFUSED', message: \`\${config.host} refused token \${config.token}\`, fix: \`replace \${config.token}\` }
  },
})
`
const brokenHelp = `import { defineType, z } from 'jitlite'

export default defineType({
  config: z.object({ host: z.string() }),
  help: () => {
    throw new Error('help is broken')
  },
})
`

async function pingApp() {
  const h = await startConsole(
    {
      'pingers/Meta/e.json': { title: 'Pingers', type: '' },
      'pingers/PingType/e.json': { title: 'Ping', type: 'pingers.Meta' },
      'pingers/PingType/type.ts': pingType,
      'pingers/BrokenHelpType/e.json': { title: 'Broken help', type: 'pingers.Meta' },
      'pingers/BrokenHelpType/type.ts': brokenHelp,
    },
    { env: { PING_TOKEN: 'right-token-123' } },
  )
  open.push(h)
  return h
}

describe("a Type's own help and check", () => {
  it('are offered for any Type that declares them, and a check never shows the secret it was given', async () => {
    const h = await pingApp()
    const listing = await h.read('/__jit/api/types/pingers.PingType?name=Office')
    expect(listing.json.canCheck).toBe(true)
    expect(listing.json.help).toEqual({
      items: [
        {
          label: 'Hook URL',
          value: 'http://127.0.0.1:3000/api/tests/consoleapp/pingers/Office/hook',
          copy: true,
        },
      ],
      text: 'pingers.Office pings nothing yet',
    })
    expect(listing.json.schema.properties.token['x-jit-secret']).toBe(true)
    expect(listing.json.schema.properties.host.placeholder).toBe('ping.example.com')

    const wrong = 'wrong-token-456'
    const refused = await h.write('POST', '/__jit/api/types/pingers.PingType/check', {
      config: { host: 'ping.example.com', token: '${OTHER_TOKEN}' },
      secretValues: { OTHER_TOKEN: wrong },
    })
    expect(refused.json).toEqual({
      ok: false,
      code: 'JIT_CHECK_REFUSED',
      message: 'ping.example.com refused token [redacted]',
      fix: 'replace [redacted]',
    })
    const ok = await h.write('POST', '/__jit/api/types/pingers.PingType/check', {
      config: { host: 'ping.example.com', token: '${PING_TOKEN}' },
    })
    expect(ok.json).toEqual({ ok: true, message: 'reached ping.example.com' })
    const invalid = await h.write('POST', '/__jit/api/types/pingers.PingType/check', {
      config: { token: '${PING_TOKEN}' },
    })
    expect(invalid.statusCode).toBe(422)
    expect(Object.keys(invalid.json.error.fieldErrors)).toEqual(['host'])
  })

  it('leave a Type without them, or whose help fails, a plain form', async () => {
    const h = await pingApp()
    const broken = await h.read('/__jit/api/types/pingers.BrokenHelpType')
    expect(broken.statusCode).toBe(200)
    expect(broken.json).toMatchObject({ help: null, canCheck: false })
    const check = await h.write('POST', '/__jit/api/types/pingers.BrokenHelpType/check', {
      config: { host: 'x' },
    })
    expect(check.json).toMatchObject({ ok: false, code: 'JIT_CHECK_UNSUPPORTED' })
  })
})
