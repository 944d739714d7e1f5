import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { CONSOLE_CSP, registerConsoleUi } from '../../runtime/console/ui-assets.ts'

/** The console's page and files as the dev server serves them (through fastify's inject). */

let fastify: FastifyInstance | undefined
afterEach(async () => {
  await fastify?.close()
  fastify = undefined
})

async function serve(csrfToken: string): Promise<FastifyInstance> {
  fastify = Fastify()
  registerConsoleUi(fastify, { csrfToken })
  await fastify.ready()
  return fastify
}

describe('the console page', () => {
  it('carries the CSRF token in a meta tag, under a CSP that allows no inline script or style', async () => {
    const server = await serve('t0k"en<')
    const page = await server.inject({ method: 'GET', url: '/__jit/' })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP)
    expect(CONSOLE_CSP).toContain("script-src 'self';")
    expect(CONSOLE_CSP).not.toContain('unsafe-inline')
    // The token is escaped: it cannot end the attribute.
    expect(page.body).toContain('<meta name="jit-csrf" content="t0k&#34;en&#60;">')
    // Nothing inline for the CSP to refuse: one module script and one stylesheet of its own.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(page.body).not.toMatch(/<style|\sstyle=|\son[a-z]+=/)
    expect(page.body).toContain('<script type="module" src="/__jit/assets/console.js"></script>')
    expect(page.body).toContain('<link rel="stylesheet" href="/__jit/assets/console.css">')

    const bare = await server.inject({ method: 'GET', url: '/__jit' })
    expect(bare.statusCode).toBe(302)
    expect(bare.headers.location).toBe('/__jit/')
  })

  it('serves its script (compiled from TypeScript), source map and style, and nothing else', async () => {
    const server = await serve('token')
    const script = await server.inject({ method: 'GET', url: '/__jit/assets/console.js' })
    expect(script.statusCode).toBe(200)
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(script.body).toContain('/__jit/api')
    expect(script.body).not.toMatch(/\binterface\s+\w+\s*\{/)
    const map = await server.inject({ method: 'GET', url: '/__jit/assets/console.js.map' })
    expect(JSON.parse(map.body).sources.some((source: string) => source.endsWith('schema-form.ts'))).toBe(
      true,
    )
    const style = await server.inject({ method: 'GET', url: '/__jit/assets/console.css' })
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8')
    expect(style.body).toContain('.tree-row')

    // A second request with the ETag it got is answered 304.
    const again = await server.inject({
      method: 'GET',
      url: '/__jit/assets/console.js',
      headers: { 'if-none-match': String(script.headers.etag) },
    })
    expect(again.statusCode).toBe(304)

    for (const url of [
      '/__jit/assets/main.ts',
      '/__jit/assets/..%2Fui-assets.ts',
      '/__jit/assets/index.html',
    ]) {
      expect((await server.inject({ method: 'GET', url })).statusCode, url).toBe(404)
    }
  })
})
