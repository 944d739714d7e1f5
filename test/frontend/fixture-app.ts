import type { FastifyInstance } from 'fastify'
import { buildServer } from '../../runtime/http/server.ts'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { memoryLogger } from '../../runtime/log.ts'
import { appJson, type FileTree, writeTempTree } from '../helpers/temp-app.ts'

/** The value of a secret config field in the fixture: it must never reach a browser. */
export const FIXTURE_API_KEY = 'sk_live_7f3a9c2e5b1d4f8a6c0e2b4d'

/**
 * A Type with a browser entry and a secret config field, one Instance of it, a service with
 * functions, and a page with its own browser code.
 */
export const FIXTURE_TREE: FileTree = {
  'greeters/Meta/e.json': { title: 'Greeters', type: '' },
  'greeters/GreeterType/e.json': {
    title: 'Greeter',
    type: 'greeters.Meta',
    frontBundleEntry: 'frontend.ts',
  },
  'greeters/GreeterType/type.ts': `
import { defineType, secret, z } from 'jitlite'
export default defineType({
  config: z.object({ greeting: z.string(), apiKey: secret(z.string()) }),
  load: ({ config }) => ({ greet: (name: string) => \`\${config.greeting}, \${name}!\` }),
})
`,
  'greeters/GreeterType/frontend.ts': `
import type { FrontendElementContext } from 'jitlite/browser'
import { shout } from './shout.ts'
export default function createGreeter(ctx: FrontendElementContext) {
  return {
    greet: (name: string) => \`\${String(ctx.element.config?.greeting)}, \${name}!\`,
    loud: (name: string) => shout(name),
  }
}
`,
  'greeters/GreeterType/shout.ts': `export const shout = (text: string) => text.toUpperCase() + '!'\n`,
  'greeters/Hello/e.json': { title: 'Hello greeter', type: 'greeters.GreeterType' },
  'greeters/Hello/Hello.json': { greeting: 'Hi', apiKey: FIXTURE_API_KEY },
  'services/HelloSvc/e.json': {
    title: 'Hello',
    type: 'services.NormalType',
    functionList: [
      { name: 'hello', args: [{ name: 'name', dataType: 'Stext', required: true }], loginRequired: false },
    ],
  },
  'services/HelloSvc/index.ts': `
import { Service } from 'jitlite'
export default class HelloSvc extends Service {
  hello(name: string) { return \`Hello, \${name}!\` }
}
`,
  'pages/Home/e.json': { title: 'Home', type: 'pages.StaticType', frontBundleEntry: 'main.ts' },
  'pages/Home/Home.json': { path: '/' },
  'pages/Home/index.html':
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Home</title></head><body><h1>Welcome</h1></body></html>\n',
  'pages/Home/main.ts': `
import { getRuntimeApp } from 'jitlite/browser'
void getRuntimeApp().getAppInfo().then((info) => { document.title = info.title })
`,
}

export interface Fixture {
  dir: string
  app: JitApp
  server: FastifyInstance
  log: ReturnType<typeof memoryLogger>
  close(): Promise<void>
}

/** The fixture (or `tree`) as a running app behind the real server, reached through inject(). */
export async function openFixture(
  tree: FileTree = FIXTURE_TREE,
  options: { mode?: 'development' | 'production' } = {},
): Promise<Fixture> {
  const dir = writeTempTree({ 'app.json': appJson('front'), ...tree })
  const log = memoryLogger()
  const app = await createApp({
    appDir: dir,
    env: {},
    logger: log,
    publicUrl: 'https://shop.example.com',
    mode: options.mode ?? 'development',
  })
  const server = await buildServer(app, { log })
  return {
    dir,
    app,
    server,
    log,
    async close() {
      await server.close()
      await app.close()
    },
  }
}
