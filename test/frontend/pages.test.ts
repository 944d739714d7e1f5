import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { writeTree } from '../helpers/temp-app.ts'
import { FIXTURE_TREE, type Fixture, openFixture } from './fixture-app.ts'

const opened: Fixture[] = []
afterEach(async () => {
  for (const fixture of opened.splice(0)) await fixture.close()
})

async function open(tree = FIXTURE_TREE) {
  const fixture = await openFixture(tree)
  opened.push(fixture)
  return fixture
}

const aboutPage = (pathValue: string, heading = 'About us') => ({
  'pages/About/e.json': { title: 'About', type: 'pages.StaticType' },
  'pages/About/About.json': { path: pathValue },
  'pages/About/index.html': `<!doctype html><html><head><title>About</title></head><body><h1>${heading}</h1></body></html>\n`,
})

describe('page elements (pages.StaticType)', () => {
  it("serves a page's index.html at its path, loading the runtime and the page's compiled code", async () => {
    const fixture = await open()
    const res = await fixture.server.inject({ method: 'GET', url: '/' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.body).toContain('<h1>Welcome</h1>')
    const head = res.body.slice(0, res.body.indexOf('</head>'))
    expect(head).toContain('<link rel="modulepreload" href="/jit/runtime.js">')
    const script =
      /<script type="module" src="(\/jit\/bundles\/pages\.Home\.js\?v=[\w-]{16})"><\/script>/.exec(head)
    expect(script).not.toBeNull()
    const bundle = await fixture.server.inject({ method: 'GET', url: script![1] })
    expect(bundle.statusCode).toBe(200)
    // The page's import of the runtime stays an import of the one the page shares.
    expect(bundle.body).toMatch(/from\s*"\/jit\/runtime\.js"/)
  })

  it('sends headers that keep the page out of frames and scripts to its own origin', async () => {
    const fixture = await open()
    const res = await fixture.server.inject({ method: 'GET', url: '/' })
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(res.headers['content-security-policy']).toContain("script-src 'self'")
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['cache-control']).toBe('no-cache')
    const head = await fixture.server.inject({ method: 'HEAD', url: '/' })
    expect(head.statusCode).toBe(200)
  })

  it('answers a path no page has with the JSON 404, and ignores a trailing slash', async () => {
    const fixture = await open({ ...FIXTURE_TREE, ...aboutPage('/about') })
    const missing = await fixture.server.inject({ method: 'GET', url: '/nowhere' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual({ errcode: 404, errmsg: 'no route for GET /nowhere' })
    for (const url of ['/about', '/about/', '/about?from=menu']) {
      const res = await fixture.server.inject({ method: 'GET', url })
      expect(res.statusCode).toBe(200)
      expect(res.body).toContain('<h1>About us</h1>')
    }
  })

  it('serves a page added while running once the app reloads, and shows edits to index.html at once', async () => {
    const fixture = await open()
    expect((await fixture.server.inject({ method: 'GET', url: '/about' })).statusCode).toBe(404)
    writeTree(fixture.dir, aboutPage('/about'))
    const reload = await fixture.app.reload()
    expect(reload.applied).toBe(true)
    expect((await fixture.server.inject({ method: 'GET', url: '/about' })).body).toContain('About us')
    fs.writeFileSync(
      path.join(fixture.dir, 'pages/About/index.html'),
      '<!doctype html><html><head></head><body><h1>Our story</h1></body></html>\n',
    )
    expect((await fixture.server.inject({ method: 'GET', url: '/about' })).body).toContain('Our story')
  })

  it('serves the first of two pages at one path, and says which path is taken twice', async () => {
    const fixture = await open({
      ...FIXTURE_TREE,
      'pages/Another/e.json': { title: 'Another', type: 'pages.StaticType' },
      'pages/Another/Another.json': { path: '/' },
      'pages/Another/index.html': '<!doctype html><h1>Another</h1>\n',
    })
    const res = await fixture.server.inject({ method: 'GET', url: '/' })
    expect(res.body).toContain('<h1>Another</h1>')
    const warning = fixture.log.lines.find((line) => line.includes('JIT_PAGE_PATH_CONFLICT'))
    expect(warning).toContain('pages.Home')
    expect(warning).toContain('pages.Another already serves')
  })

  it('refuses a path the runtime answers itself, and a page without index.html', async () => {
    const fixture = await open({
      ...FIXTURE_TREE,
      ...aboutPage('/api/about'),
      'pages/Blank/e.json': { title: 'Blank', type: 'pages.StaticType' },
      'pages/Blank/Blank.json': { path: '/blank' },
    })
    const byElement = new Map(fixture.app.problems.map((p) => [p.element, p]))
    expect(byElement.get('pages.About')).toMatchObject({ code: 'JIT_CONFIG_INVALID', field: 'path' })
    expect(byElement.get('pages.About')?.message).toMatch(/must not start with \/api/)
    expect(byElement.get('pages.Blank')).toMatchObject({ code: 'JIT_PAGE_HTML_MISSING' })
    expect(byElement.get('pages.Blank')?.message).toContain('create index.html')
    expect((await fixture.server.inject({ method: 'GET', url: '/blank' })).statusCode).toBe(404)
    expect((await fixture.server.inject({ method: 'GET', url: '/' })).statusCode).toBe(200)
  })
})
