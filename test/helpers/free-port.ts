import net from 'node:net'

/**
 * A loopback port that was free a moment ago, for a server whose URL must be known before it listens.
 * Another process may take it in between: callers try again on another port.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
  })
}
