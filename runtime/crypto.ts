/**
 * Field encryption for values at rest (tokens in a database row): AES-256-GCM, the row's identity as
 * additional authenticated data, and a key id in every stored value so that keys can be rotated.
 *
 * Stored format: `v1.<kid>.<iv>.<tag>.<ciphertext>`, the last three base64url (12-byte IV, 16-byte tag).
 *
 * Keys come from the environment variable JIT_SECRET_KEY:
 * - one key: the base64 of 32 random bytes, e.g. the output of
 *   `node -e "console.log(require('node:crypto').randomBytes(32).toString('base64'))"`;
 *   its key id is derived from the key itself (a short hash);
 * - several keys, for rotation: `kid1:base64,kid2:base64,...`. The first encrypts; all decrypt. A bare
 *   key (without `kid:`) in the list keeps its derived id, so `new:NEWKEY,OLDKEY` rotates from a single key.
 * When JIT_SECRET_KEY is unset and the caller is in development mode, a key file (same format) is read,
 * or created with permissions 0600. Production mode refuses to start without JIT_SECRET_KEY.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { JitError } from './errors.ts'
import { randomBytesPooled } from './random.ts'

export interface SecretKey {
  /** `[A-Za-z0-9_-]{1,32}`; written into every value it encrypts. */
  id: string
  /** 32 bytes. */
  key: Buffer
}

export type KeySource = { kind: 'env' } | { kind: 'file'; path: string; created: boolean }

const FORMAT_VERSION = 'v1'
const ALGORITHM = 'aes-256-gcm'
const IV_BYTES = 12
const TAG_BYTES = 16
const KEY_BYTES = 32
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/
const BASE64_KEY = /^(?:[A-Za-z0-9+/]{43}=?|[A-Za-z0-9_-]{43})$/
const BASE64URL = /^[A-Za-z0-9_-]*$/

/**
 * Encrypts and decrypts string fields with a keyring: the first key encrypts, any key decrypts.
 *
 * @example
 * const cipher = loadFieldCipher({ development: true, keyFilePath: '.jitlite/secret.key' })
 * const aad = `wechat_public_auth:${appId}:${openid}:accessToken`
 * const stored = cipher.encrypt(accessToken, aad)   // 'v1.k3Jd9aQ_x.<iv>.<tag>.<ciphertext>'
 * cipher.decrypt(stored, aad) === accessToken        // true; another aad throws JIT_DECRYPT_FAILED
 */
export class FieldCipher {
  /** The id of the key that encrypts. */
  readonly currentKeyId: string
  readonly source: KeySource
  readonly #keys: ReadonlyMap<string, Buffer>
  readonly #current: Buffer

  constructor(keys: readonly SecretKey[], source: KeySource = { kind: 'env' }) {
    if (keys.length === 0) throw new JitError('JIT_SECRET_KEY_INVALID', 'The keyring holds no key.')
    const byId = new Map<string, Buffer>()
    for (const { id, key } of keys) {
      if (!KEY_ID.test(id))
        throw new JitError('JIT_SECRET_KEY_INVALID', `Key id "${id}" is not [A-Za-z0-9_-]{1,32}.`)
      if (key.length !== KEY_BYTES) {
        throw new JitError('JIT_SECRET_KEY_INVALID', `Key "${id}" is ${key.length} bytes; AES-256 needs 32.`)
      }
      if (byId.has(id))
        throw new JitError('JIT_SECRET_KEY_INVALID', `Key id "${id}" appears twice in the keyring.`)
      byId.set(id, Buffer.from(key))
    }
    this.#keys = byId
    this.currentKeyId = keys[0].id
    this.#current = byId.get(this.currentKeyId)!
    this.source = source
  }

  /** Encrypts `plaintext` bound to `aad` (the row identity, e.g. `${table}:${appId}:${openid}:${column}`). */
  encrypt(plaintext: string, aad: string): string {
    const iv = randomBytesPooled(IV_BYTES)
    const cipher = createCipheriv(ALGORITHM, this.#current, iv, { authTagLength: TAG_BYTES })
    cipher.setAAD(Buffer.from(aad, 'utf8'))
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    const tag = cipher.getAuthTag()
    return [
      FORMAT_VERSION,
      this.currentKeyId,
      iv.toString('base64url'),
      tag.toString('base64url'),
      ciphertext.toString('base64url'),
    ].join('.')
  }

  /** Decrypts a value `encrypt` produced for the same `aad`; throws a JitError if anything differs. */
  decrypt(stored: string, aad: string): string {
    const parts = typeof stored === 'string' ? stored.split('.') : []
    const [version, keyId, iv, tag, ciphertext] = parts
    if (
      parts.length !== 5 ||
      version !== FORMAT_VERSION ||
      !BASE64URL.test(iv) ||
      !BASE64URL.test(tag) ||
      !BASE64URL.test(ciphertext)
    ) {
      throw new JitError(
        'JIT_DECRYPT_FAILED',
        'The stored value is not in the v1.<kid>.<iv>.<tag>.<ciphertext> format; it was not written by encrypt().',
      )
    }
    const key = this.#keys.get(keyId)
    if (key === undefined) {
      throw new JitError(
        'JIT_SECRET_KEY_UNKNOWN',
        `The value was encrypted with key id "${keyId}", which JIT_SECRET_KEY does not hold: add that key back ` +
          `after the current one ("${this.currentKeyId}:...,${keyId}:...").`,
      )
    }
    const ivBytes = Buffer.from(iv, 'base64url')
    const tagBytes = Buffer.from(tag, 'base64url')
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) {
      throw new JitError('JIT_DECRYPT_FAILED', 'The stored value has an IV or tag of the wrong length.')
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key, ivBytes, { authTagLength: TAG_BYTES })
      decipher.setAAD(Buffer.from(aad, 'utf8'))
      decipher.setAuthTag(tagBytes)
      const plaintext = Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ])
      return plaintext.toString('utf8')
    } catch {
      throw new JitError(
        'JIT_DECRYPT_FAILED',
        'The stored value failed authentication: it was altered, or it was copied from another row or column ' +
          '(the row identity is part of the encryption). Re-create it (for tokens: log the user in again).',
      )
    }
  }

  /** True when `stored` was encrypted with a key other than the current one (re-encrypt it on next write). */
  needsReencryption(stored: string): boolean {
    return stored.split('.', 2)[1] !== this.currentKeyId
  }
}

/** A new key for JIT_SECRET_KEY: the base64 of 32 random bytes. */
export function generateSecretKey(): string {
  return randomBytes(KEY_BYTES).toString('base64')
}

/**
 * Parses `base64` or `kid1:base64,kid2:base64,...` (whitespace around entries ignored). `origin` names
 * where the text came from in error messages; key material never appears in them.
 */
export function parseSecretKeys(text: string, origin: string): SecretKey[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  if (entries.length === 0) throw new JitError('JIT_SECRET_KEY_INVALID', `${origin} is empty.`)
  return entries.map((entry, index) => {
    const colon = entry.indexOf(':')
    const id = colon === -1 ? undefined : entry.slice(0, colon).trim()
    const material = colon === -1 ? entry : entry.slice(colon + 1).trim()
    if (!BASE64_KEY.test(material)) {
      throw new JitError(
        'JIT_SECRET_KEY_INVALID',
        `Entry ${index + 1} of ${origin} is not the base64 of 32 bytes (write base64 or kid:base64; ` +
          "generate a key with: node -e \"console.log(require('node:crypto').randomBytes(32).toString('base64'))\").",
      )
    }
    const key = Buffer.from(material.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
    if (id !== undefined && !KEY_ID.test(id)) {
      throw new JitError(
        'JIT_SECRET_KEY_INVALID',
        `Entry ${index + 1} of ${origin}: the key id must be [A-Za-z0-9_-]{1,32}.`,
      )
    }
    return { id: id ?? derivedKeyId(key), key }
  })
}

/** A short, stable id for a key given without one (a hash of it; it reveals nothing usable). */
function derivedKeyId(key: Buffer): string {
  return `k${createHash('sha256').update('jitlite field key id\0').update(key).digest('base64url').slice(0, 10)}`
}

export interface LoadFieldCipherOptions {
  /** Where JIT_SECRET_KEY is read from. Default process.env. */
  env?: Record<string, string | undefined>
  /** Development only: used (created when missing) if JIT_SECRET_KEY is unset. E.g. `.jitlite/secret.key`. */
  keyFilePath?: string
  /** Whether a local key file may stand in for JIT_SECRET_KEY. False in production. */
  development: boolean
}

/**
 * The keyring from JIT_SECRET_KEY, or in development from a key file (created with mode 0600 if missing).
 *
 * @example
 * const cipher = loadFieldCipher({ development: mode === 'dev', keyFilePath: '.jitlite/secret.key' })
 * if (cipher.source.kind === 'file' && cipher.source.created) log.info('created a development key file')
 */
export function loadFieldCipher(options: LoadFieldCipherOptions): FieldCipher {
  const fromEnv = (options.env ?? process.env).JIT_SECRET_KEY
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return new FieldCipher(parseSecretKeys(fromEnv, 'JIT_SECRET_KEY'), { kind: 'env' })
  }
  if (!options.development || options.keyFilePath === undefined) {
    throw new JitError(
      'JIT_SECRET_KEY_MISSING',
      'JIT_SECRET_KEY is not set. Set it to the base64 of 32 random bytes (generate one with: ' +
        "node -e \"console.log(require('node:crypto').randomBytes(32).toString('base64'))\") and keep it: " +
        'tokens stored under one key cannot be read with another.' +
        (options.development ? '' : ' Production mode never creates a local key file.'),
    )
  }
  const path = options.keyFilePath
  const created = createKeyFileIfMissing(path)
  checkKeyFilePermissions(path)
  const keys = parseSecretKeys(readFileSync(path, 'utf8'), `the key file ${path}`)
  return new FieldCipher(keys, { kind: 'file', path, created })
}

/** Writes a new key with mode 0600 unless the file exists; another process may win the race, which is fine. */
function createKeyFileIfMissing(path: string): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  try {
    writeFileSync(path, `${generateSecretKey()}\n`, { mode: 0o600, flag: 'wx' })
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

function checkKeyFilePermissions(path: string): void {
  // Windows has no POSIX modes; its ACLs are the user's business there.
  if (process.platform === 'win32') return
  const mode = statSync(path).mode & 0o777
  if ((mode & 0o077) !== 0) {
    throw new JitError(
      'JIT_SECRET_KEY_FILE_INSECURE',
      `The key file ${path} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${path}`,
      { file: path },
    )
  }
}
