import fs from 'node:fs'
import path from 'node:path'
import type { JitApp } from '../../runtime/app.ts'
import { createApp } from '../../runtime/index.ts'
import { type Logger, memoryLogger } from '../../runtime/log.ts'
import type { JitAppEvents } from '../../runtime/reload/result.ts'
import { greeterFamily } from '../helpers/greeters.ts'
import { appJson, type FileTree, writeTempTree } from '../helpers/temp-app.ts'

/** Generous: the suite runs on shared, loaded machines. */
export const EVENT_TIMEOUT_MS = 15_000

/** A secret value written into configs: it must never show up in a log line or an error message. */
export const SECRET = 'sk-live-7Hq2ZpW9xVb4'

export interface WatchedApp {
  app: JitApp
  dir: string
  logger: Logger & { lines: string[] }
  /** Every event the app emitted, in order. */
  events: Array<{ name: 'reload' | 'error'; payload: any }>
  /** Writes a file under the app folder (objects as JSON). */
  write(relative: string, content: string | object): void
  file(relative: string): string
}

const opened: JitApp[] = []

/** Closes every app opened by `openWatchedApp`; call from afterEach. */
export async function closeWatchedApps(): Promise<void> {
  await Promise.all(opened.splice(0).map((app) => app.close()))
}

/** A greeter app (with `greeters.English`) served by createApp with the real watcher on. */
export async function openWatchedApp(extra: FileTree = {}): Promise<WatchedApp> {
  const dir = writeTempTree({
    'app.json': appJson(),
    ...greeterFamily,
    'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
    'greeters/English/English.json': { greeting: 'Hello', apiKey: SECRET },
    ...extra,
  })
  const logger = memoryLogger()
  const app = await createApp({ appDir: dir, env: {}, logger, watch: true })
  opened.push(app)
  const events: WatchedApp['events'] = []
  app.on('reload', (payload) => events.push({ name: 'reload', payload }))
  app.on('error', (payload) => events.push({ name: 'error', payload }))
  const file = (relative: string) => path.join(dir, relative)
  const write = (relative: string, content: string | object) => {
    fs.mkdirSync(path.dirname(file(relative)), { recursive: true })
    fs.writeFileSync(file(relative), typeof content === 'string' ? content : JSON.stringify(content))
  }
  return { app, dir, logger, events, write, file }
}

/**
 * The next `name` event of `app` whose payload passes `accept`. Unlike events.once it does not
 * reject when the app emits 'error' meanwhile (a refusal on the way to a valid state is normal).
 */
export function nextEvent<K extends 'reload' | 'error'>(
  app: JitApp,
  name: K,
  accept: (payload: JitAppEvents[K][0]) => boolean = () => true,
): Promise<JitAppEvents[K][0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      app.off(name, listener as any)
      reject(new Error(`no '${name}' event within ${EVENT_TIMEOUT_MS} ms`))
    }, EVENT_TIMEOUT_MS)
    const listener = (payload: JitAppEvents[K][0]) => {
      if (!accept(payload)) return
      clearTimeout(timer)
      app.off(name, listener as any)
      resolve(payload)
    }
    app.on(name, listener as any)
  })
}

/** Resolves once `check()` holds, re-checking after every reload (and every 20 ms for log lines). */
export async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + EVENT_TIMEOUT_MS
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * The test app's own names in a reload's list. Every app extends the framework app in the checkout's
 * types/, which is watched too: an edit there (another engineer's, in a shared checkout) may ride along.
 */
export function own(names: readonly string[]): string[] {
  return names.filter((name) => /^(greeters|counters)\./.test(name)).sort()
}

/**
 * A fence: writes a marker Instance's config and waits for the reload that applies it. Reloads are
 * serialized, so every event caused by writes made before the fence has been emitted when it returns.
 */
export async function fence(watched: WatchedApp, round: number): Promise<void> {
  const applied = nextEvent(watched.app, 'reload', (r) =>
    [...r.added, ...r.changed].includes('greeters.Fence'),
  )
  watched.write('greeters/Fence/e.json', { title: 'Fence', type: 'greeters.FriendlyType' })
  watched.write('greeters/Fence/Fence.json', { greeting: `fence ${round}` })
  await applied
}
