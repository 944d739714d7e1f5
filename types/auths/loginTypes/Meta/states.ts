/**
 * Login states, kept in the app's database so that every process behind a balancer agrees on them.
 * A row is keyed by the SHA-256 of the state and holds the login Instance, the post-login target, the
 * SHA-256 of the browser's nonce, an expiry, and a status:
 *
 *   pending --claim--> consuming --> done (the user, for a second delivery) | failed (the page shown)
 *   pending --claim as denied--> failed
 *
 * Claiming is one conditional UPDATE, so of two deliveries of one callback, even in two processes,
 * exactly one exchanges the code.
 */
import { timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { SessionUser } from '../../../../runtime/http/sessions.ts'
import type { LoginPageKind } from './pages.ts'

const TABLE = 'jit_login_states'
/** A state lives 10 minutes (SECURITY.md). */
export const STATE_TTL_MS = 10 * 60 * 1000
/** Expired rows are kept this long, so that a late callback is told "expired" rather than "unknown". */
const EXPIRED_ROW_RETENTION_MS = 60 * 60 * 1000
/** Sweeping expired rows is a write; one process does it at most this often. */
const SWEEP_INTERVAL_MS = 60 * 1000

export type StateStatus = 'pending' | 'consuming' | 'done' | 'failed'

/** What a failed login showed, so a repeated delivery shows the same page without a provider call. */
export interface FailedOutcome {
  kind: LoginPageKind
  detail?: string
}

export interface NewLoginState {
  stateHash: string
  loginType: string
  browserHash: string
  redirectTarget: string
  nowMs: number
}

export interface ClaimRequest {
  stateHash: string
  loginType: string
  browserHash: string
  nowMs: number
  /** `consuming` to exchange `codeHash`; a failed outcome to consume the state without one (denied). */
  next: { status: 'consuming'; codeHash: string } | { status: 'failed'; outcome: FailedOutcome }
}

/** A stored state as the flow reads it when a claim did not succeed. */
export interface StoredState {
  loginType: string
  browserHash: string
  redirectTarget: string
  status: StateStatus
  codeHash: string | null
  expiresAtMs: number
  finishedAtMs: number | null
  user: Omit<SessionUser, 'loginType'> | null
  failure: FailedOutcome | null
}

interface Row {
  state_hash: string
  login_type: string
  browser_hash: string
  redirect_target: string
  status: StateStatus
  code_hash: string | null
  outcome_json: string | null
  created_at_ms: number | bigint
  expires_at_ms: number | bigint
  finished_at_ms: number | bigint | null
}

/**
 * The login states of one database.
 *
 * @example
 * const states = LoginStateStore.of(db.kysely)
 * await states.create({ stateHash, loginType: 'auths.loginTypes.MyWechatLogin', browserHash, redirectTarget: '/', nowMs: Date.now() })
 * const claimed = await states.claim({ stateHash, loginType, browserHash, nowMs, next: { status: 'consuming', codeHash } })
 */
export class LoginStateStore {
  static readonly #stores = new WeakMap<Kysely<any>, LoginStateStore>()

  /** The store of a database, created (with its table) on first use. */
  static of(db: Kysely<any>): LoginStateStore {
    let store = LoginStateStore.#stores.get(db)
    if (!store) {
      store = new LoginStateStore(db)
      LoginStateStore.#stores.set(db, store)
    }
    return store
  }

  readonly #db: Kysely<any>
  readonly #ready: Promise<void>
  /** Logins being finished in this process, by state hash: a second delivery waits on these. */
  readonly #finishing = new Map<string, Promise<void>>()
  #lastSweepMs = Number.NEGATIVE_INFINITY

  private constructor(db: Kysely<any>) {
    this.#db = db
    this.#ready = createTable(db)
    // A failed creation is reported by the first call that awaits it; this keeps it from being unhandled.
    this.#ready.catch(() => {})
  }

  async create(state: NewLoginState): Promise<void> {
    await this.#ready
    await this.#sweep(state.nowMs)
    await this.#db
      .insertInto(TABLE)
      .values({
        state_hash: state.stateHash,
        login_type: state.loginType,
        browser_hash: state.browserHash,
        redirect_target: state.redirectTarget,
        status: 'pending',
        code_hash: null,
        outcome_json: null,
        created_at_ms: state.nowMs,
        expires_at_ms: state.nowMs + STATE_TTL_MS,
        finished_at_ms: null,
      })
      .execute()
  }

  /**
   * Moves a pending, unexpired state of this Instance and this browser to `next`, in one UPDATE.
   * Returns the state's post-login target when this caller won it; undefined when the state is
   * anything else (read it to say why).
   */
  async claim(request: ClaimRequest): Promise<{ redirectTarget: string } | undefined> {
    await this.#ready
    const next = request.next
    const row = await this.#db
      .updateTable(TABLE)
      .set(
        next.status === 'consuming'
          ? { status: 'consuming', code_hash: next.codeHash }
          : { status: 'failed', outcome_json: JSON.stringify(next.outcome), finished_at_ms: request.nowMs },
      )
      .where('state_hash', '=', request.stateHash)
      .where('status', '=', 'pending')
      .where('login_type', '=', request.loginType)
      .where('browser_hash', '=', request.browserHash)
      .where('expires_at_ms', '>', request.nowMs)
      .returning('redirect_target')
      .executeTakeFirst()
    return row && { redirectTarget: row.redirect_target as string }
  }

  /** Records the user a claimed login ended with, for a second delivery of the same callback. */
  async finish(stateHash: string, user: Omit<SessionUser, 'loginType'>, nowMs: number): Promise<void> {
    await this.#setOutcome(stateHash, 'done', JSON.stringify(user), nowMs)
  }

  /** Records the page a claimed login ended on. */
  async fail(stateHash: string, outcome: FailedOutcome, nowMs: number): Promise<void> {
    await this.#setOutcome(stateHash, 'failed', JSON.stringify(outcome), nowMs)
  }

  async read(stateHash: string): Promise<StoredState | undefined> {
    await this.#ready
    const row = (await this.#db
      .selectFrom(TABLE)
      .selectAll()
      .where('state_hash', '=', stateHash)
      .executeTakeFirst()) as Row | undefined
    return row && toStoredState(row)
  }

  /**
   * Runs `finishLogin` as the one exchange of a claimed state; `waitForOutcome` calls in this process
   * wait for it instead of polling.
   */
  async runFinishing<T>(stateHash: string, finishLogin: () => Promise<T>): Promise<T> {
    const running = finishLogin()
    const settled = running.then(
      () => undefined,
      () => undefined,
    )
    this.#finishing.set(stateHash, settled)
    try {
      return await running
    } finally {
      this.#finishing.delete(stateHash)
    }
  }

  /**
   * Waits until a state being consumed (here or in another process) is done or failed, up to
   * `timeoutMs`, and returns it; a state still consuming after that is returned as it is.
   */
  async waitForOutcome(
    stateHash: string,
    timeoutMs: number,
    pollMs: number,
  ): Promise<StoredState | undefined> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const local = this.#finishing.get(stateHash)
      if (local) await raceTimeout(local, deadline - performance.now())
      const state = await this.read(stateHash)
      if (state?.status !== 'consuming') return state
      const leftMs = deadline - performance.now()
      if (leftMs <= 0) return state
      await sleep(Math.min(pollMs, leftMs))
    }
  }

  async #setOutcome(stateHash: string, status: 'done' | 'failed', outcomeJson: string, nowMs: number) {
    await this.#ready
    await this.#db
      .updateTable(TABLE)
      .set({ status, outcome_json: outcomeJson, finished_at_ms: nowMs })
      .where('state_hash', '=', stateHash)
      .where('status', '=', 'consuming')
      .execute()
  }

  async #sweep(nowMs: number): Promise<void> {
    if (nowMs - this.#lastSweepMs < SWEEP_INTERVAL_MS) return
    this.#lastSweepMs = nowMs
    await this.#db
      .deleteFrom(TABLE)
      .where('expires_at_ms', '<=', nowMs - EXPIRED_ROW_RETENTION_MS)
      .execute()
  }
}

/** Compares two hex hashes without leaking, through timing, how much of them matched. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

function toStoredState(row: Row): StoredState {
  const outcome = row.outcome_json === null ? null : JSON.parse(row.outcome_json)
  return {
    loginType: row.login_type,
    browserHash: row.browser_hash,
    redirectTarget: row.redirect_target,
    status: row.status,
    codeHash: row.code_hash,
    expiresAtMs: Number(row.expires_at_ms),
    finishedAtMs: row.finished_at_ms === null ? null : Number(row.finished_at_ms),
    user: row.status === 'done' ? outcome : null,
    failure: row.status === 'failed' ? outcome : null,
  }
}

async function createTable(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable(TABLE)
    .ifNotExists()
    .addColumn('state_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('login_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('browser_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('redirect_target', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('code_hash', 'varchar(64)')
    .addColumn('outcome_json', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('finished_at_ms', 'bigint')
    .execute()
  await db.schema.createIndex(`${TABLE}_expires`).ifNotExists().on(TABLE).column('expires_at_ms').execute()
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function raceTimeout(promise: Promise<void>, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
