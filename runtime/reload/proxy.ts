import net from 'node:net'

/** How long a connection waits for an app process to become ready before it gets a 503. */
const HOLD_LIMIT_MS = 60_000

const UNAVAILABLE_BODY =
  'The app process is not running; the terminal running jit dev says why. It starts again on the next file change.\n'
const UNAVAILABLE = [
  'HTTP/1.1 503 Service Unavailable',
  'Content-Type: text/plain; charset=utf-8',
  'Cache-Control: no-store',
  'Retry-After: 1',
  'Connection: close',
  `Content-Length: ${Buffer.byteLength(UNAVAILABLE_BODY)}`,
  '',
  UNAVAILABLE_BODY,
].join('\r\n')

/**
 * The public port of `jit dev`: a TCP forwarder to the loopback port of the current app process. The
 * target can change while it runs (a restart swaps in a new process), so the browser keeps one
 * address. Connections that arrive while no process is ready wait for one; when none is coming they
 * get a short 503 page.
 */
export class DevProxy {
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()
  private readonly waiting = new Set<net.Socket>()
  private targetPort?: number
  private starting = true

  private constructor(server: net.Server) {
    this.server = server
  }

  /** Listens on `host:port` (port 0 picks a free one). */
  static async listen(port: number, host: string): Promise<DevProxy> {
    const server = net.createServer()
    const proxy = new DevProxy(server)
    server.on('connection', (socket) => proxy.accept(socket))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    return proxy
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port
  }

  /** New connections go to `port` from now on; those waiting go there at once. */
  forwardTo(port: number): void {
    this.targetPort = port
    for (const socket of this.waiting) this.connect(socket, port)
    this.waiting.clear()
  }

  /** No process is ready: new connections wait while one is `starting`, else they get a 503. */
  pause(starting: boolean): void {
    this.targetPort = undefined
    this.starting = starting
    if (!starting) {
      for (const socket of this.waiting) socket.end(UNAVAILABLE)
      this.waiting.clear()
    }
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    for (const socket of this.sockets) socket.destroy()
    await closed
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket)
    socket.on('close', () => {
      this.sockets.delete(socket)
      this.waiting.delete(socket)
    })
    socket.on('error', () => socket.destroy())
    if (this.targetPort !== undefined) {
      this.connect(socket, this.targetPort)
      return
    }
    if (!this.starting) {
      socket.end(UNAVAILABLE)
      return
    }
    this.waiting.add(socket)
    socket.setTimeout(HOLD_LIMIT_MS, () => {
      if (this.waiting.delete(socket)) socket.end(UNAVAILABLE)
    })
  }

  private connect(client: net.Socket, port: number): void {
    client.setTimeout(0)
    const upstream = net.connect(port, '127.0.0.1')
    this.sockets.add(upstream)
    upstream.on('close', () => this.sockets.delete(upstream))
    // pipe() carries each side's end to the other; an error on either side ends both at once.
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
    client.on('close', () => upstream.destroy())
    client.pipe(upstream)
    upstream.pipe(client)
  }
}
