import type { FastifyReply, FastifyRequest } from 'fastify'
import type { JitApp } from '../app.ts'

/** How often an idle stream gets a comment line, so that proxies and browsers keep it open. */
const KEEPALIVE_MS = 15_000

/**
 * The console's live view of the disk: a version that counts up whenever the element tree may have
 * changed (a reload applied, or a change refused), and the server-sent-event streams told of it.
 */
export class TreeEvents {
  private count = 1
  private readonly streams = new Set<FastifyReply>()
  private pending = false
  private readonly detach: () => void
  private readonly keepalive: NodeJS.Timeout

  constructor(app: JitApp) {
    const bump = () => this.changed()
    app.on('reload', bump)
    app.on('error', bump)
    this.detach = () => {
      app.off('reload', bump)
      app.off('error', bump)
    }
    this.keepalive = setInterval(() => {
      for (const reply of this.streams) reply.raw.write(': keepalive\n\n')
    }, KEEPALIVE_MS)
    this.keepalive.unref()
  }

  get version(): number {
    return this.count
  }

  /** Counts up once per turn of the event loop however many problems a refusal reports. */
  changed(): void {
    if (this.pending) return
    this.pending = true
    setImmediate(() => {
      this.pending = false
      this.count++
      const frame = `event: elements\ndata: ${JSON.stringify({ version: this.count })}\n\n`
      for (const reply of this.streams) reply.raw.write(frame)
    })
  }

  /** Answers `GET /__jit/api/events`: a stream that starts with the current version. */
  open(_request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack()
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    })
    reply.raw.write(`retry: 1000\nevent: elements\ndata: ${JSON.stringify({ version: this.count })}\n\n`)
    this.streams.add(reply)
    // The response's close: the browser went away (a request closes once it has been read).
    reply.raw.on('close', () => this.streams.delete(reply))
  }

  /** Ends every stream (the server is closing) and stops listening to the app. */
  close(): void {
    clearInterval(this.keepalive)
    this.detach()
    for (const reply of this.streams) reply.raw.end()
    this.streams.clear()
  }
}
