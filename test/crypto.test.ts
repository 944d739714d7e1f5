import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type FieldCipher, generateSecretKey, loadFieldCipher, parseSecretKeys } from '../runtime/crypto.ts'

const KEY_A = Buffer.alloc(32, 1).toString('base64')
const KEY_B = Buffer.alloc(32, 2).toString('base64')
const TOKEN = '76_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_token_value'
const AAD = 'wechat_public_auth:wx1234567890abcdef:oLVPpjqs9BhvzwPj5A-vTYAX3GLc:accessToken'

function cipherOf(env: string): FieldCipher {
  return loadFieldCipher({ env: { JIT_SECRET_KEY: env }, development: false })
}

describe('FieldCipher', () => {
  const cipher = cipherOf(KEY_A)

  it('round-trips text, emoji and the empty string', () => {
    for (const value of [TOKEN, '小猫🐱\u0014', ''])
      expect(cipher.decrypt(cipher.encrypt(value, AAD), AAD)).toBe(value)
  })

  it('writes v1.<kid>.<iv>.<tag>.<ciphertext> in base64url, with a fresh IV every time, and no plaintext', () => {
    const first = cipher.encrypt(TOKEN, AAD)
    const second = cipher.encrypt(TOKEN, AAD)
    expect(first).toMatch(/^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/)
    expect(first.split('.')[1]).toBe(cipher.currentKeyId)
    expect(first).not.toBe(second)
    expect(first).not.toContain(TOKEN.slice(3, 20))
    expect(Buffer.from(first.split('.')[4], 'base64url').toString('latin1')).not.toContain('AbCdEf')
  })

  it('refuses a value moved to another row or column (the row identity is authenticated)', () => {
    const stored = cipher.encrypt(TOKEN, AAD)
    expect(() => cipher.decrypt(stored, AAD.replace('accessToken', 'refreshToken'))).toThrow(
      expect.objectContaining({ code: 'JIT_DECRYPT_FAILED' }),
    )
    expect(() => cipher.decrypt(stored, AAD.replace('oLVP', 'oXXX'))).toThrow(/another row/)
  })

  it('refuses altered ciphertext, tag or IV, and malformed values, without echoing them', () => {
    const [v, kid, iv, tag, ct] = cipher.encrypt(TOKEN, AAD).split('.')
    const flip = (text: string) => {
      const bytes = Buffer.from(text, 'base64url')
      bytes[0] ^= 1
      return bytes.toString('base64url')
    }
    for (const altered of [
      [v, kid, iv, tag, flip(ct)],
      [v, kid, iv, flip(tag), ct],
      [v, kid, flip(iv), tag, ct],
      [v, kid, iv.slice(2), tag, ct],
    ]) {
      expect(() => cipher.decrypt(altered.join('.'), AAD)).toThrow(
        expect.objectContaining({ code: 'JIT_DECRYPT_FAILED' }),
      )
    }
    for (const malformed of [
      TOKEN,
      '',
      'v2.a.b.c.d',
      `v1.${kid}.${iv}.${tag}.${ct}.extra`,
      `v1.${kid}.i+v.${tag}.${ct}`,
    ]) {
      try {
        cipher.decrypt(malformed, AAD)
        expect.unreachable()
      } catch (error) {
        expect((error as { code: string }).code).toBe('JIT_DECRYPT_FAILED')
        if (malformed) expect((error as Error).message).not.toContain(malformed)
      }
    }
  })

  it('decrypts with an older key after rotation, encrypts with the new one, and says what to re-encrypt', () => {
    const before = cipherOf(KEY_A)
    const stored = before.encrypt(TOKEN, AAD)
    const after = cipherOf(`k2:${KEY_B},${KEY_A}`)
    expect(after.currentKeyId).toBe('k2')
    expect(after.decrypt(stored, AAD)).toBe(TOKEN)
    expect(after.needsReencryption(stored)).toBe(true)
    const rewritten = after.encrypt(TOKEN, AAD)
    expect(rewritten.startsWith('v1.k2.')).toBe(true)
    expect(after.needsReencryption(rewritten)).toBe(false)
  })

  it('names the missing key id when the key that wrote a value is gone', () => {
    const stored = cipherOf(`old:${KEY_A}`).encrypt(TOKEN, AAD)
    expect(() => cipherOf(`new:${KEY_B}`).decrypt(stored, AAD)).toThrow(
      expect.objectContaining({ code: 'JIT_SECRET_KEY_UNKNOWN', message: expect.stringContaining('"old"') }),
    )
  })

  it('a different key with the same id cannot read the value', () => {
    const stored = cipherOf(`same:${KEY_A}`).encrypt(TOKEN, AAD)
    expect(() => cipherOf(`same:${KEY_B}`).decrypt(stored, AAD)).toThrow(
      expect.objectContaining({ code: 'JIT_DECRYPT_FAILED' }),
    )
  })
})

describe('parseSecretKeys (the JIT_SECRET_KEY format)', () => {
  it('accepts base64 with or without padding, base64url, and kid:base64 lists', () => {
    const urlSafe = Buffer.alloc(32, 0xfb).toString('base64url')
    const keys = parseSecretKeys(` a:${KEY_A} , b:${KEY_A.replace('=', '')},${urlSafe}`, 'JIT_SECRET_KEY')
    expect(keys.map((k) => k.key.length)).toEqual([32, 32, 32])
    expect(keys[2].key.equals(Buffer.alloc(32, 0xfb))).toBe(true)
    expect(keys.slice(0, 2).map((k) => k.id)).toEqual(['a', 'b'])
    expect(keys[2].id).toMatch(/^k[A-Za-z0-9_-]{10}$/)
  })

  it('derives the same id for the same bare key, and different ids for different keys', () => {
    const [a1] = parseSecretKeys(KEY_A, 'x')
    const [a2] = parseSecretKeys(KEY_A, 'x')
    const [b] = parseSecretKeys(KEY_B, 'x')
    expect(a1.id).toBe(a2.id)
    expect(a1.id).not.toBe(b.id)
  })

  it.each([
    [' , ', /empty/],
    [Buffer.alloc(16, 1).toString('base64'), /Entry 1 .*32 bytes/],
    [`${KEY_A},not-a-key`, /Entry 2/],
    [`bad.id:${KEY_A}`, /key id/],
    [`x:${KEY_A},x:${KEY_B}`, /appears twice/],
  ])('refuses %j with a coded error that shows no key material', (text, message) => {
    try {
      cipherOf(text)
      expect.unreachable()
    } catch (error) {
      expect((error as { code: string }).code).toBe('JIT_SECRET_KEY_INVALID')
      expect((error as Error).message).toMatch(message)
      expect((error as Error).message).not.toContain(KEY_A.slice(0, 20))
      expect((error as Error).message).not.toContain(KEY_B.slice(0, 20))
    }
  })

  it('generateSecretKey makes a key the parser accepts', () => {
    expect(parseSecretKeys(generateSecretKey(), 'x')[0].key).toHaveLength(32)
  })
})

describe('loadFieldCipher', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'jitlite-crypto-'))
  })
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('in production, refuses to run without JIT_SECRET_KEY and creates no file', () => {
    const keyFilePath = join(dir, '.jitlite', 'secret.key')
    expect(() => loadFieldCipher({ env: {}, keyFilePath, development: false })).toThrow(
      expect.objectContaining({
        code: 'JIT_SECRET_KEY_MISSING',
        message: expect.stringContaining('randomBytes(32)'),
      }),
    )
    expect(() => statSync(keyFilePath)).toThrow()
  })

  it('in development, creates a 0600 key file once and reads the same key afterwards', () => {
    const keyFilePath = join(dir, '.jitlite', 'secret.key')
    const first = loadFieldCipher({ env: {}, keyFilePath, development: true })
    expect(first.source).toEqual({ kind: 'file', path: keyFilePath, created: true })
    if (process.platform !== 'win32') expect(statSync(keyFilePath).mode & 0o777).toBe(0o600)
    const stored = first.encrypt(TOKEN, AAD)
    const second = loadFieldCipher({ env: {}, keyFilePath, development: true })
    expect(second.source).toMatchObject({ created: false })
    expect(second.decrypt(stored, AAD)).toBe(TOKEN)
    expect(parseSecretKeys(readFileSync(keyFilePath, 'utf8'), 'file')[0].id).toBe(first.currentKeyId)
  })

  it('JIT_SECRET_KEY wins over the key file, also in development', () => {
    const keyFilePath = join(dir, 'secret.key')
    const cipher = loadFieldCipher({
      env: { JIT_SECRET_KEY: `env:${KEY_A}` },
      keyFilePath,
      development: true,
    })
    expect(cipher.currentKeyId).toBe('env')
    expect(cipher.source).toEqual({ kind: 'env' })
    expect(() => statSync(keyFilePath)).toThrow()
  })

  it.skipIf(process.platform === 'win32')('refuses a key file other users can read', () => {
    const keyFilePath = join(dir, 'secret.key')
    writeFileSync(keyFilePath, KEY_A)
    chmodSync(keyFilePath, 0o644)
    expect(() => loadFieldCipher({ env: {}, keyFilePath, development: true })).toThrow(
      expect.objectContaining({
        code: 'JIT_SECRET_KEY_FILE_INSECURE',
        message: expect.stringContaining('chmod 600'),
      }),
    )
  })

  it('refuses a malformed key file, naming the file', () => {
    const keyFilePath = join(dir, 'secret.key')
    writeFileSync(keyFilePath, 'hello', { mode: 0o600 })
    expect(() => loadFieldCipher({ env: {}, keyFilePath, development: true })).toThrow(
      expect.objectContaining({
        code: 'JIT_SECRET_KEY_INVALID',
        message: expect.stringContaining(keyFilePath),
      }),
    )
  })
})
