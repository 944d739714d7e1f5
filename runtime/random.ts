import { randomBytes } from 'node:crypto'

/**
 * Each call to `crypto.randomBytes` costs a trip into the kernel's random source (about 18 µs for 32
 * bytes on a small VM), and a login draws several values (state, browser nonce, session id). Drawing
 * 4 KB at a time makes each value cost well under a microsecond, from the same CSPRNG; every byte is
 * handed out once. Node's own `crypto.randomUUID()` caches its entropy the same way.
 */
const POOL_BYTES = 4096
let pool = Buffer.alloc(0)
let offset = 0

/**
 * `size` cryptographically random bytes (at most 4096), never handed out before.
 *
 * @example
 * const sessionId = randomBytesPooled(32).toString('base64url')
 */
export function randomBytesPooled(size: number): Buffer {
  if (!Number.isInteger(size) || size < 1 || size > POOL_BYTES) {
    throw new RangeError(`randomBytesPooled takes 1 to ${POOL_BYTES} bytes, not ${size}`)
  }
  if (offset + size > pool.length) {
    pool = randomBytes(POOL_BYTES)
    offset = 0
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + size))
  pool.fill(0, offset, offset + size)
  offset += size
  return bytes
}
