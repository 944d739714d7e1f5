import { hash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../db/database.ts'
import {
  createExpiringTable,
  deleteExpiredPrefix,
  RowSelectors,
  SELECTOR_PATTERN,
} from '../db/expiring-rows.ts'
import { SetupOnce } from '../db/setup-once.ts'
import { bindShape, type CompiledShape, compileShape, slot } from '../db/statement-shapes.ts'
import { JitError } from '../errors.ts'
import { randomBytesPooled } from '../random.ts'

/** Who a session belongs to: what a login Type hands over when a login finishes. Never tokens. */
export interface SessionUser {
  /** The login Instance the user logged in with (`auths.loginTypes.MyWechatLogin`). */
  readonly loginType: string
  /** A stable key of the user within that login Type (the row id of its user model, say). */
  readonly userKey: string
  readonly displayName?: string
  readonly avatarUrl?: string
  /** Further public profile fields the login Type chooses to expose. */
  readonly profile?: Readonly<Record<string, unknown>>
}

export interface Session {
  readonly user: SessionUser
  readonly createdAt: Date
  readonly expiresAt: Date
}

export interface SessionStoreOptions {
  /** The database sessions are kept in (the app's `databases.Default`), resolved on first use. */
  database: () => Pick<Database, 'kysely' | 'runCompiled'>
  /** Default 7 days. */
  ttlSeconds?: number
  /** Set the cookie's Secure flag (whenever the app is served over https). */
  secureCookies: boolean
  now?: () => number
}

export const SESSION_COOKIE = 'jit_session'
const TABLE = 'jit_sessions'
const DEFAULT_TTL_SECONDS = 7 * 24 * 3600
/** Deleting expired sessions is a write; a process does it at most this often, not at every login. */
const SWEEP_INTERVAL_MS = 60 * 1000

/** A session id: 32 random bytes in base64url (the secret), then its row's selector (the encrypted row id). */
const SESSION_ID = new RegExp(`^([A-Za-z0-9_-]{43})(${SELECTOR_PATTERN})$`)

/**
 * Login sessions in the app's database. The browser holds a session id in an HttpOnly, SameSite=Lax
 * cookie: a random secret (256 bits) followed by the selector of the session's row (its id, encrypted:
 * `RowSelectors`). The table holds only the secret's SHA-256, so a leaked database opens no session;
 * the row id finds the row, so that sessions are written at the end of the table instead of at a
 * random place in an index of hashes. Every login makes a new id: a cookie planted before login is
 * never promoted.
 */
export class SessionStore {
  private readonly options: SessionStoreOptions
  private readonly ttlSeconds: number
  private readonly ready = new WeakMap<
    object,
    SetupOnce<{ statements: SessionStatements; selectors: RowSelectors }>
  >()
  private lastSweepMs = Number.NEGATIVE_INFINITY

  constructor(options: SessionStoreOptions) {
    this.options = options
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_SECONDS
  }

  /**
   * Opens a new session for `user` and sets its cookie on `reply`; ends the browser's previous one.
   * Returns a reference to the new session (its row and the hash of its secret, never the id), to ask
   * `isOpen` about it later.
   */
  async open(request: FastifyRequest, reply: FastifyReply, user: SessionUser): Promise<{ ref: string }> {
    const { db, statements, selectors, run } = await this.db()
    const now = this.now()
    const previous = parseSessionId(request.cookies[SESSION_COOKIE], selectors)
    if (previous) await run(statements.delete, [previous.rowId, previous.secretHash])
    if (now - this.lastSweepMs >= SWEEP_INTERVAL_MS) {
      this.lastSweepMs = now
      await deleteExpiredPrefix(db, TABLE, now)
    }
    const secret = randomBytesPooled(32).toString('base64url')
    const secretHash = hashSecret(secret)
    const { rows } = await run(statements.insert, [
      secretHash,
      user.loginType,
      user.userKey,
      JSON.stringify(user),
      now,
      now + this.ttlSeconds * 1000,
    ])
    const rowId = Number((rows[0] as { id: number | bigint }).id)
    reply.setCookie(
      SESSION_COOKIE,
      `${secret}${selectors.selectorOf(rowId)}`,
      this.cookieOptions(this.ttlSeconds),
    )
    return { ref: `${rowId}:${secretHash}` }
  }

  /** Whether the session `open` returned this reference for is still open (not closed, not expired). */
  async isOpen(ref: string): Promise<boolean> {
    const [rowId, secretHash] = ref.split(':')
    const { statements, run } = await this.db()
    const { rows } = await run(statements.selectId, [Number(rowId), secretHash, this.now()])
    return rows.length > 0
  }

  /** The session of this request's cookie, or null (no cookie, malformed, unknown, expired). */
  async current(request: FastifyRequest): Promise<Session | null> {
    const cookie = request.cookies[SESSION_COOKIE]
    if (cookie === undefined) return null
    const database = await this.dbIfInUse()
    if (!database) return null
    const { statements, selectors, run } = database
    const id = parseSessionId(cookie, selectors)
    if (!id) return null
    const { rows } = await run(statements.select, [id.rowId, id.secretHash, this.now()])
    const row = rows[0] as { user_json: string; created_at_ms: number; expires_at_ms: number } | undefined
    if (!row) return null
    return {
      user: JSON.parse(row.user_json) as SessionUser,
      createdAt: new Date(Number(row.created_at_ms)),
      expiresAt: new Date(Number(row.expires_at_ms)),
    }
  }

  /** Ends this request's session, if any, and clears its cookie. */
  async close(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const cookie = request.cookies[SESSION_COOKIE]
    const database = cookie === undefined ? undefined : await this.dbIfInUse()
    if (database) {
      const { statements, selectors, run } = database
      const id = parseSessionId(cookie, selectors)
      if (id) await run(statements.delete, [id.rowId, id.secretHash])
    }
    reply.clearCookie(SESSION_COOKIE, this.cookieOptions(0))
  }

  private cookieOptions(maxAgeSeconds: number) {
    return {
      path: '/',
      httpOnly: true,
      // Lax, not Strict: the way back from the provider is a cross-site navigation, and Strict would
      // drop the cookie on it.
      sameSite: 'lax' as const,
      secure: this.options.secureCookies,
      maxAge: maxAgeSeconds,
    }
  }

  private now(): number {
    return this.options.now?.() ?? Date.now()
  }

  /**
   * The database, or undefined in an app whose Types use none (`uses`): nobody can have logged in
   * there, and a cookie left by another app on the same host is no session.
   */
  private async dbIfInUse() {
    try {
      return await this.db()
    } catch (error) {
      if (error instanceof JitError && error.code === 'JIT_ELEMENT_NOT_IN_USE') return undefined
      throw error
    }
  }

  /** The database, its table created and its statements compiled on first use (retried until done). */
  private async db() {
    const database = this.options.database()
    const kysely = database.kysely
    let ready = this.ready.get(kysely)
    if (!ready) {
      // A creation that failed (the database was down) is forgotten: the next request tries again.
      ready = new SetupOnce(() =>
        createTable(kysely).then(async () => ({
          statements: compileStatements(kysely),
          selectors: await RowSelectors.load(kysely, TABLE),
        })),
      )
      this.ready.set(kysely, ready)
    }
    const { statements, selectors } = await ready.get()
    // Writes among them go through the database's group commit: concurrent logins share one commit.
    const run = (statement: CompiledShape, values: readonly unknown[]) =>
      database.runCompiled(statement.sql, bindShape(statement, values))
    return { db: kysely, statements, selectors, run }
  }
}

type SessionStatements = ReturnType<typeof compileStatements>

/** Built with kysely once per database (its own dialect), then run with new values at each call. */
function compileStatements(db: Kysely<any>) {
  const v = (index: number) => slot(index) as string
  const byId = (offset: number) =>
    db
      .selectFrom(TABLE)
      .where('id', '=', v(offset))
      .where('secret_hash', '=', v(offset + 1))
      .where('expires_at_ms', '>', v(offset + 2))
  return {
    insert: compileShape(
      db
        .insertInto(TABLE)
        .values({
          secret_hash: v(0),
          login_type: v(1),
          user_key: v(2),
          user_json: v(3),
          created_at_ms: v(4),
          expires_at_ms: v(5),
        })
        .returning('id'),
    ),
    select: compileShape(byId(0).select(['user_json', 'created_at_ms', 'expires_at_ms'])),
    selectId: compileShape(byId(0).select('id')),
    delete: compileShape(db.deleteFrom(TABLE).where('id', '=', v(0)).where('secret_hash', '=', v(1))),
  }
}

async function createTable(db: Kysely<any>): Promise<void> {
  // A table of the earlier layout (keyed by the hash of the whole id) cannot find sessions by row id:
  // it is replaced, and whoever was logged in logs in again once.
  await createExpiringTable(db, TABLE, (table) =>
    table
      .addColumn('login_type', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_key', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_json', 'text', (c) => c.notNull()),
  )
}

/** The row id and secret hash of a session id in a cookie; undefined when it is not one. */
function parseSessionId(
  id: string | undefined,
  selectors: RowSelectors,
): { rowId: number; secretHash: string } | undefined {
  const parts = id === undefined ? null : SESSION_ID.exec(id)
  const rowId = parts ? selectors.rowIdOf(parts[2]) : undefined
  if (!parts || rowId === undefined) return undefined
  return { rowId, secretHash: hashSecret(parts[1]) }
}

function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex')
}
