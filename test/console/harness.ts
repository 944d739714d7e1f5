import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { createApp, type JitApp } from '../../runtime/app.ts'
import { sandboxOverrides } from '../../runtime/http/sandboxes.ts'
import { buildServer } from '../../runtime/http/server.ts'
import { silentLogger } from '../../runtime/log.ts'
import { freePort } from '../helpers/free-port.ts'
import { appJson, type FileTree, writeTempTree } from '../helpers/temp-app.ts'

export const ORIGIN = 'http://127.0.0.1:3000'
export const TOKEN = 'console-test-token-0123456789abcdef'

export interface ConsoleHarness {
  appDir: string
  /** The server's URL (a real one when started with `listen`). */
  url: string
  app: JitApp
  server: FastifyInstance
  env: NodeJS.ProcessEnv
  /** Every response body the console gave so far, to search for secrets. */
  bodies: string[]
  request(
    options: InjectOptions,
  ): Promise<{ statusCode: number; json: any; body: string; headers: Record<string, unknown> }>
  /** A write as the console page sends it: same origin, CSRF token. */
  write(
    method: 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
  ): ReturnType<ConsoleHarness['request']>
  read(url: string): ReturnType<ConsoleHarness['request']>
  file(relative: string): string | undefined
  close(): Promise<void>
}

/**
 * The dev server with its console over a temp app (`tree` beside app.json), as `jit dev` builds it:
 * sandbox overrides to `sandboxUrl` when given, an environment of the test's own.
 */
export async function startConsole(
  tree: FileTree = {},
  options: {
    env?: NodeJS.ProcessEnv
    publicUrl?: string
    mode?: 'development' | 'production'
    console?: boolean
    /** Listen on a free loopback port (the URL is then `publicUrl`): for what inject() cannot show. */
    listen?: boolean
  } = {},
): Promise<ConsoleHarness> {
  const appDir = writeTempTree({ 'app.json': appJson('consoleapp'), ...tree }, 'jitlite-console-')
  const uiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-console-ui-'))
  fs.writeFileSync(
    path.join(uiDir, 'index.html'),
    '<!doctype html><html><head><title>console</title></head><body></body></html>\n',
  )
  fs.writeFileSync(path.join(uiDir, 'style.css'), 'body { margin: 0 }\n')
  const env: NodeJS.ProcessEnv = { ...options.env }
  const port = options.listen ? await freePort() : 3000
  const publicUrl = options.listen ? `http://127.0.0.1:${port}` : (options.publicUrl ?? ORIGIN)
  const configOverrides = sandboxOverrides(publicUrl)
  const app = await createApp({
    appDir,
    env,
    logger: silentLogger,
    publicUrl,
    mode: options.mode,
    configOverrides,
  })
  const server = await buildServer(app, {
    sandboxes: true,
    console:
      options.console === false
        ? undefined
        : {
            address: { publicUrl, bindHost: '127.0.0.1', bindPort: port },
            token: TOKEN,
            env,
            configOverrides,
            uiDir,
          },
  })
  if (options.listen) await server.listen({ port, host: '127.0.0.1' })
  const bodies: string[] = []
  const request: ConsoleHarness['request'] = async (opts) => {
    const res = await server.inject(opts)
    bodies.push(res.body)
    let json: unknown
    try {
      json = JSON.parse(res.body)
    } catch {
      json = undefined
    }
    return { statusCode: res.statusCode, json, body: res.body, headers: res.headers }
  }
  return {
    appDir,
    url: publicUrl,
    app,
    server,
    env,
    bodies,
    request,
    write: (method, url, payload) =>
      request({
        method,
        url,
        headers: { host: '127.0.0.1:3000', origin: ORIGIN, 'x-jit-csrf': TOKEN },
        ...(payload === undefined ? {} : { payload: payload as object }),
      }),
    read: (url) => request({ method: 'GET', url, headers: { host: '127.0.0.1:3000' } }),
    file: (relative) => {
      try {
        return fs.readFileSync(path.join(appDir, relative), 'utf8')
      } catch {
        return undefined
      }
    },
    close: async () => {
      await server.close()
      await app.close()
    },
  }
}
