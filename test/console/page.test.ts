import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { CONSOLE_CSP, registerConsolePage } from '../../runtime/console/page.ts'

/** The console's own page (runtime/console/ui/) as the dev server serves it, through fastify's inject. */

let fastify: FastifyInstance | undefined
afterEach(async () => {
  await fastify?.close()
  fastify = undefined
})

async function serve(): Promise<FastifyInstance> {
  fastify = Fastify()
  registerConsolePage(fastify, { token: 'page-test-token' })
  await fastify.ready()
  return fastify
}

describe('the console page', () => {
  it('has nothing inline for its CSP to refuse: one module script and one stylesheet of its own', async () => {
    const server = await serve()
    const page = await server.inject({ method: 'GET', url: '/__jit/' })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP)
    expect(CONSOLE_CSP).not.toContain('unsafe-inline')
    // One token, the server's: the page has no meta of its own to shadow it.
    expect(page.body.match(/name="jit-csrf"/g)).toHaveLength(1)
    expect(page.body).toContain('<meta name="jit-csrf" content="page-test-token">')
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(page.body).not.toMatch(/<style|\sstyle=|\son[a-z]+=/)
    const scripts = [...page.body.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1])
    const styles = [...page.body.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1])
    expect(scripts).toEqual(['/__jit/assets/main.js'])
    expect(styles).toEqual(['/__jit/assets/console.css'])
  })

  it('serves its script compiled from TypeScript, and its style', async () => {
    const server = await serve()
    const script = await server.inject({ method: 'GET', url: '/__jit/assets/main.js' })
    expect(script.statusCode).toBe(200)
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8')
    // The modules are bundled into one: the API client and the form builder are in it.
    expect(script.body).toContain('/__jit/api')
    expect(script.body).toContain('x-jit-secret')
    expect(script.body).not.toMatch(/^import\s/m)
    const style = await server.inject({ method: 'GET', url: '/__jit/assets/console.css' })
    expect(style.statusCode).toBe(200)
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8')
    expect(style.body).toContain('.tree-row')
  })
})
