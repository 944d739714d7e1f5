/**
 * The app's access token, cached in the app's database and shared by every process and node on it
 * (WeCom intercepts frequent gettoken calls; one token serves every login until it nears expiry).
 *
 * One row per app and secret (`cache_key` = corpId, agentId and a hash of the secret and API host, so
 * a changed secret never reuses the old token). Refreshing is single-flight twice over: in a process,
 * concurrent callers share one promise; across processes, one conditional UPDATE claims the row
 * ("fetching until T") and the others poll the row until the token lands or the claim lapses (its
 * process died). The token is encrypted at rest with the app's field cipher. Dialect-neutral SQL only.
 */
import { createHash } from 'node:crypto'
import type { FieldCipher } from 'jitlite/crypto'
import { type Database, withSchemaChangeLock } from 'jitlite/db'
import type { WecomToken } from './client/index.ts'
import { QywxAuthError } from './errors.ts'

export const APP_TOKEN_TABLE = 'qywx_inner_app_tokens'
/** A token is refreshed this long before WeCom says it expires (at most half its lifetime). */
export const EXPIRY_MARGIN_SECONDS = 200
/** How often a process waiting on another's fetch re-reads the row. */
const POLL_MS = 25

/** The query builder of the app's database (kysely, whatever the dialect). */
type QueryBuilder = Database['kysely']

interface Row {
  cache_key: string
  token: string | null
  token_hash: string | null
  expires_at_ms: number | string | bigint | null
  fetching_until_ms: number | string | bigint | null
}

export interface AppTokenCacheOptions {
  /** The app's database (kysely of `databases.Default`), resolved on first use. */
  db: () => QueryBuilder
  cipher: FieldCipher
  corpId: string
  agentId: string
  /** The secret and API host the token is fetched with; only a hash of them is stored. */
  corpSecret: string
  apiBaseUrl: string
  /** The one gettoken call. */
  fetch: () => Promise<WecomToken>
  /** How long a claim to fetch holds (the fetch's own deadline, plus a margin). */
  claimMs: number
  /** How long a caller waits for another process's fetch before giving up. */
  waitMs: number
  now?: () => number
}

/**
 * @example
 * const tokens = new AppTokenCache({ db, cipher, corpId, agentId, corpSecret, apiBaseUrl, fetch: () => client.getToken(), claimMs: 15_000, waitMs: 15_000 })
 * const token = await tokens.get()
 * // WeCom said 42001/40014 for `token`:
 * await tokens.invalidate(token)
 */
export class AppTokenCache {
  readonly key: string
  readonly #options: AppTokenCacheOptions
  readonly #now: () => number
  #ready: Promise<void> | undefined
  #memo: { token: string; expiresAtMs: number } | undefined
  #inFlight: Promise<string> | undefined

  constructor(options: AppTokenCacheOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
    const secretHash = sha256(`${options.corpSecret}\u0000${options.apiBaseUrl}`).slice(0, 24)
    this.key = `${options.corpId}:${options.agentId}:${secretHash}`
  }

  /** A valid token: from memory, else the database, else one gettoken for every process waiting. */
  get(): Promise<string> {
    const memo = this.#memo
    if (memo && memo.expiresAtMs > this.#now()) return Promise.resolve(memo.token)
    if (this.#inFlight) return this.#inFlight
    const obtaining = this.#obtain().finally(() => {
      this.#inFlight = undefined
    })
    this.#inFlight = obtaining
    return obtaining
  }

  /**
   * WeCom refused `stale` (42001, 40014, 40001): forget it here and in the row, unless another caller
   * already replaced it there (then the next `get` reads the new one).
   */
  async invalidate(stale: string): Promise<void> {
    if (this.#memo?.token === stale) this.#memo = undefined
    await this.#prepare()
    await this.#db
      .updateTable(APP_TOKEN_TABLE)
      .set({ token: null, token_hash: null, expires_at_ms: null })
      .where('cache_key', '=', this.key)
      .where('token_hash', '=', sha256(stale))
      .execute()
  }

  get #db(): QueryBuilder {
    return this.#options.db()
  }

  async #obtain(): Promise<string> {
    await this.#prepare()
    const giveUpAtMs = this.#now() + this.#options.waitMs
    for (;;) {
      const row = await this.#db
        .selectFrom(APP_TOKEN_TABLE)
        .select(['token', 'token_hash', 'expires_at_ms', 'fetching_until_ms'])
        .where('cache_key', '=', this.key)
        .executeTakeFirst()
      const nowMs = this.#now()
      const valid = this.#validToken(row as Row | undefined, nowMs)
      if (valid) return valid
      const claimUntilMs = nowMs + this.#options.claimMs
      const claimed = await this.#db
        .updateTable(APP_TOKEN_TABLE)
        .set({ fetching_until_ms: claimUntilMs })
        .where('cache_key', '=', this.key)
        .where((eb) => eb.or([eb('fetching_until_ms', 'is', null), eb('fetching_until_ms', '<=', nowMs)]))
        .where((eb) =>
          eb.or([eb('token', 'is', null), eb('expires_at_ms', 'is', null), eb('expires_at_ms', '<=', nowMs)]),
        )
        .executeTakeFirst()
      if (Number(claimed.numUpdatedRows) === 1) return this.#fetch(claimUntilMs)
      if (this.#now() >= giveUpAtMs) {
        throw new QywxAuthError(
          'WECOM_TOKEN_WAIT_TIMEOUT',
          `Another process has been fetching the WeCom app token for longer than ${this.#options.waitMs} ms; check that the other processes on this database can reach apiBaseUrl, then try again.`,
          'retry',
        )
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
  }

  /** The one gettoken of this claim; the row gets the token, or the claim back on failure. */
  async #fetch(claimUntilMs: number): Promise<string> {
    const requestedAtMs = this.#now()
    let fresh: WecomToken
    try {
      fresh = await this.#options.fetch()
    } catch (error) {
      await this.#db
        .updateTable(APP_TOKEN_TABLE)
        .set({ fetching_until_ms: null })
        .where('cache_key', '=', this.key)
        .where('fetching_until_ms', '=', claimUntilMs)
        .execute()
      throw error
    }
    const margin = Math.min(EXPIRY_MARGIN_SECONDS, fresh.expiresInSeconds / 2)
    const expiresAtMs = Math.floor(requestedAtMs + (fresh.expiresInSeconds - margin) * 1000)
    await this.#db
      .updateTable(APP_TOKEN_TABLE)
      .set({
        token: this.#options.cipher.encrypt(fresh.accessToken, this.#aad),
        token_hash: sha256(fresh.accessToken),
        expires_at_ms: expiresAtMs,
        fetching_until_ms: null,
        updated_at_ms: this.#now(),
      })
      .where('cache_key', '=', this.key)
      .execute()
    this.#memo = { token: fresh.accessToken, expiresAtMs }
    return fresh.accessToken
  }

  #validToken(row: Row | undefined, nowMs: number): string | undefined {
    if (!row || row.token === null || row.expires_at_ms === null) return undefined
    const expiresAtMs = Number(row.expires_at_ms)
    if (expiresAtMs <= nowMs) return undefined
    let token: string
    try {
      token = this.#options.cipher.decrypt(row.token, this.#aad)
    } catch {
      // Another key (JIT_SECRET_KEY changed without the old one): fetch a new token rather than fail.
      return undefined
    }
    this.#memo = { token, expiresAtMs }
    return token
  }

  get #aad(): string {
    return `${APP_TOKEN_TABLE}\u0000${this.key}`
  }

  /** The table and this key's row, created once; rows of the same app under another secret are dropped. */
  #prepare(): Promise<void> {
    this.#ready ??= this.#createRow().catch((error) => {
      this.#ready = undefined
      throw error
    })
    return this.#ready
  }

  async #createRow(): Promise<void> {
    const db = this.#db
    // Under the database's schema lock: two PostgreSQL processes creating the table at once would
    // otherwise collide on the catalog, IF NOT EXISTS or not.
    await withSchemaChangeLock(db, (locked) =>
      locked.schema
        .createTable(APP_TOKEN_TABLE)
        .ifNotExists()
        .addColumn('cache_key', 'varchar(200)', (c) => c.primaryKey())
        .addColumn('corp_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('agent_id', 'varchar(16)', (c) => c.notNull())
        .addColumn('token', 'text')
        .addColumn('token_hash', 'varchar(64)')
        .addColumn('expires_at_ms', 'bigint')
        .addColumn('fetching_until_ms', 'bigint')
        .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
        .execute(),
    )
    const inserted = await db
      .insertInto(APP_TOKEN_TABLE)
      .values({
        cache_key: this.key,
        corp_id: this.#options.corpId,
        agent_id: this.#options.agentId,
        updated_at_ms: this.#now(),
      })
      .onConflict((oc) => oc.column('cache_key').doNothing())
      .executeTakeFirst()
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) {
      // A new secret for this app: the token fetched with the old one is never used again.
      await db
        .deleteFrom(APP_TOKEN_TABLE)
        .where('corp_id', '=', this.#options.corpId)
        .where('agent_id', '=', this.#options.agentId)
        .where('cache_key', '<>', this.key)
        .execute()
    }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
