/**
 * Login states, kept in the app's database so that every process behind a balancer agrees on them.
 * A row has an increasing id (encrypted, it is the state's selector: tokens.ts) and holds the SHA-256
 * of the state's secret, the login Instance, the post-login target, the SHA-256 of the browser's
 * nonce, an expiry, and a status:
 *
 *   pending --claim--> consuming --> done (the user, for a second delivery) | failed (the page shown)
 *   pending --claim as denied--> failed
 *
 * Claiming is one conditional UPDATE, so of two deliveries of one callback, even in two processes,
 * exactly one exchanges the code. A claim to consume carries its owner's deadline, in the row: the
 * delivery that won it finishes by then or not at all (its process died), so a state still consuming
 * after it is abandoned, whichever process or node reads it.
 */
import { timingSafeEqual } from 'node:crypto'
import type { SessionUser } from 'jitlite/auth'
import {
  bindShape,
  type CompiledShape,
  type Database,
  deleteExpiredPrefix,
  RowSelectors,
  SetupOnce,
} from 'jitlite/db'
import type { Kysely } from 'kysely'
import type { LoginPageKind } from './pages.ts'
import { compileStatements, createTable, type StateRow, TABLE } from './state-table.ts'
import { sha256Hex } from './tokens.ts'

/** A state lives 10 minutes (docs/security.md#state). */
export const STATE_TTL_MS = 10 * 60 * 1000
/** Expired rows are kept this long, so that a late callback is told "expired" rather than "unknown". */
const EXPIRED_ROW_RETENTION_MS = 60 * 60 * 1000
/** Sweeping expired rows is a write; one process does it at most this often. */
const SWEEP_INTERVAL_MS = 60 * 1000

export type StateStatus = 'pending' | 'consuming' | 'done' | 'failed'

/** A state's row: the id its state names, and the hash its secret must match. */
export interface StateRef {
  rowId: number
  secretHash: string
}

/** What a failed login showed, so a repeated delivery shows the same page without a provider call. */
export interface FailedOutcome {
  kind: LoginPageKind
  detail?: string
}

export interface NewLoginState {
  secretHash: string
  loginType: string
  browserHash: string
  /** The hash of the client's address, for the cap per address. */
  addressHash: string
  redirectTarget: string
  nowMs: number
  /** Most live (pending, unexpired) states of this browser and of this address; 0: no cap. */
  caps: { perBrowser: number; perAddress: number }
  /** For the login of a phone that scanned a desktop's code: the ticket's row (tickets.ts). */
  ticketId?: number
}

export interface ClaimRequest {
  state: StateRef
  loginType: string
  browserHash: string
  nowMs: number
  /**
   * `consuming` to exchange `codeHash`, finished by `deadlineMs` (else abandoned); a failed outcome to
   * consume the state without one (denied).
   */
  next:
    | { status: 'consuming'; codeHash: string; deadlineMs: number }
    | { status: 'failed'; outcome: FailedOutcome }
}

/** A stored state as the flow reads it when a claim did not succeed. */
export interface StoredState {
  loginType: string
  browserHash: string
  redirectTarget: string
  status: StateStatus
  codeHash: string | null
  expiresAtMs: number
  /** For a claimed state: when its claim ends unless finished (null for a state never claimed to consume). */
  claimDeadlineMs: number | null
  finishedAtMs: number | null
  user: Omit<SessionUser, 'loginType'> | null
  /**
   * For a done state: the reference (`SessionStore#open`) of the session the login opened; null for a
   * phone's login for a desktop ticket, which opens none.
   */
  sessionRef: string | null
  failure: FailedOutcome | null
  /** For a phone's login for a desktop ticket: the ticket's row. */
  ticketId: number | null
}

/**
 * The login states of one database. Each statement is built with kysely once (so it is the database's
 * own dialect) and then run with new values through `Database.runCompiled`: a login pays for running
 * its statements, not for building them.
 *
 * @example
 * const states = LoginStateStore.of(app.getElement('databases.Default'))
 * const selector = await states.create({ secretHash: sha256Hex(secret), loginType: 'auths.loginTypes.MyWechatLogin', browserHash, redirectTarget: '/', nowMs: Date.now() })
 * const state = await states.refOf({ secret, selector }) // from the callback's state
 * const claimed = await states.claim({ state, loginType, browserHash, nowMs, next: { status: 'consuming', codeHash, deadlineMs: nowMs + 30_000 } })
 */
export class LoginStateStore {
  static readonly #stores = new WeakMap<Kysely<any>, LoginStateStore>()

  /** The store of a database, created (with its table) on first use. */
  static of(database: Database): LoginStateStore {
    let store = LoginStateStore.#stores.get(database.kysely)
    if (!store) {
      store = new LoginStateStore(database)
      LoginStateStore.#stores.set(database.kysely, store)
    }
    return store
  }

  readonly #database: Database
  readonly #db: Kysely<any>
  readonly #setup: SetupOnce<RowSelectors>
  readonly #statements: ReturnType<typeof compileStatements>
  /** Logins being finished in this process, by row id: a second delivery waits on these. */
  readonly #finishing = new Map<number, Promise<void>>()
  /** `finish` writes not committed yet, by row id: the login's answer does not wait for them, waiters do. */
  readonly #recording = new Map<number, Promise<void>>()
  #lastSweepMs = Number.NEGATIVE_INFINITY

  private constructor(database: Database) {
    this.#database = database
    this.#db = database.kysely
    this.#statements = compileStatements(this.#db)
    this.#setup = new SetupOnce(() => createTable(this.#db).then(() => RowSelectors.load(this.#db, TABLE)))
    void this.#ready
  }

  /** The table created and its selectors loaded, started with the store (retried after a failure). */
  get #ready(): Promise<RowSelectors> {
    return this.#setup.get()
  }

  /**
   * Stores a new pending state; returns the selector of its row, for the state to carry. Undefined when
   * the browser or the address already holds its cap of live states: the insert counts them in the
   * same statement, so no burst of starts gets past it.
   */
  async create(state: NewLoginState): Promise<string | undefined> {
    await this.#sweep(state.nowMs)
    const values = [
      state.secretHash,
      state.loginType,
      state.browserHash,
      state.addressHash,
      state.redirectTarget,
      state.nowMs,
      state.nowMs + STATE_TTL_MS,
      state.ticketId ?? null,
    ]
    const { perBrowser, perAddress } = state.caps
    const { rows } =
      perBrowser > 0 || perAddress > 0
        ? await this.#run(this.#statements.insertCapped, [
            ...values,
            perBrowser > 0 ? perBrowser : Number.MAX_SAFE_INTEGER,
            perAddress > 0 ? perAddress : Number.MAX_SAFE_INTEGER,
          ])
        : await this.#run(this.#statements.insert, values)
    const row = rows[0] as { id: number | bigint } | undefined
    if (!row) return undefined
    const selectors = await this.#ready
    return selectors.selectorOf(Number(row.id))
  }

  /** The row a state's secret and selector name; undefined when the selector is not one of this store's. */
  async refOf(state: { secret: string; selector: string }): Promise<StateRef | undefined> {
    const rowId = (await this.#ready).rowIdOf(state.selector)
    return rowId === undefined ? undefined : { rowId, secretHash: sha256Hex(state.secret) }
  }

  /**
   * Moves a pending, unexpired state of this Instance and this browser to `next`, in one UPDATE.
   * Returns the state's post-login target (and its desktop ticket, if any) when this caller won it;
   * undefined when the state is anything else (read it to say why).
   */
  async claim(
    request: ClaimRequest,
  ): Promise<{ redirectTarget: string; ticketId: number | null } | undefined> {
    const next = request.next
    const key = [
      request.state.rowId,
      request.state.secretHash,
      request.loginType,
      request.browserHash,
      request.nowMs,
    ]
    const { rows } =
      next.status === 'consuming'
        ? await this.#run(this.#statements.claimToConsume, [next.codeHash, next.deadlineMs, ...key])
        : await this.#run(this.#statements.claimAsFailed, [
            JSON.stringify(next.outcome),
            request.nowMs,
            ...key,
          ])
    const row = rows[0] as { redirect_target: string; ticket_id: number | bigint | null } | undefined
    return (
      row && {
        redirectTarget: row.redirect_target,
        ticketId: row.ticket_id === null ? null : Number(row.ticket_id),
      }
    )
  }

  /**
   * Records the user a claimed login ended with and the session it opened, for a second delivery of
   * the same callback. A second delivery in this process waits for this write (`waitForOutcome`), so the
   * first one may answer without waiting for it.
   */
  async finish(
    state: StateRef,
    user: Omit<SessionUser, 'loginType'>,
    sessionRef: string | null,
    nowMs: number,
  ): Promise<void> {
    const outcome = JSON.stringify({ user, sessionRef })
    const written = this.#run(this.#statements.setOutcome, ['done', outcome, nowMs, state.rowId])
    const settled = written.then(
      () => undefined,
      () => undefined,
    )
    this.#recording.set(state.rowId, settled)
    try {
      await written
    } finally {
      if (this.#recording.get(state.rowId) === settled) this.#recording.delete(state.rowId)
    }
  }

  /** Records the page a claimed login ended on. */
  async fail(state: StateRef, outcome: FailedOutcome, nowMs: number): Promise<void> {
    await this.#run(this.#statements.setOutcome, ['failed', JSON.stringify(outcome), nowMs, state.rowId])
  }

  /** The state this reference names, if its row exists and its secret matches. */
  async read(state: StateRef): Promise<StoredState | undefined> {
    const { rows } = await this.#run(this.#statements.read, [state.rowId, state.secretHash])
    const row = rows[0] as StateRow | undefined
    return row && toStoredState(row)
  }

  /**
   * Runs `finishLogin` as the one exchange of a claimed state; `waitForOutcome` calls in this process
   * wait for it instead of polling.
   */
  async runFinishing<T>(state: StateRef, finishLogin: () => Promise<T>): Promise<T> {
    const running = finishLogin()
    const settled = running.then(
      () => undefined,
      () => undefined,
    )
    this.#finishing.set(state.rowId, settled)
    try {
      return await running
    } finally {
      this.#finishing.delete(state.rowId)
    }
  }

  /**
   * Waits until a state being consumed (here or in another process) is done or failed, up to
   * `timeoutMs` and never past its claim's deadline (by `nowMs`, the server's clock), and returns it;
   * a state still consuming after that is returned as it is (`isAbandoned` tells the two apart).
   */
  async waitForOutcome(
    ref: StateRef,
    options: { timeoutMs: number; pollMs: number; nowMs: () => number },
  ): Promise<StoredState | undefined> {
    const waitEnd = performance.now() + options.timeoutMs
    for (;;) {
      // An outcome being committed here is waited for whatever the deadline: its login has finished.
      const recording = this.#recording.get(ref.rowId)
      if (recording) await raceTimeout(recording, waitEnd - performance.now())
      const state = await this.read(ref)
      if (state?.status !== 'consuming') return state
      const claimLeftMs = (state.claimDeadlineMs ?? Number.NEGATIVE_INFINITY) - options.nowMs()
      const leftMs = Math.min(waitEnd - performance.now(), claimLeftMs)
      if (leftMs <= 0) return state
      const local = this.#finishing.get(ref.rowId)
      if (local) await raceTimeout(local, leftMs)
      else await sleep(Math.min(options.pollMs, leftMs))
    }
  }

  /** Writes among them go through the database's group commit. */
  async #run(statement: CompiledShape, values: readonly unknown[]) {
    await this.#ready
    return this.#database.runCompiled(statement.sql, bindShape(statement, values))
  }

  async #sweep(nowMs: number): Promise<void> {
    if (nowMs - this.#lastSweepMs < SWEEP_INTERVAL_MS) return
    this.#lastSweepMs = nowMs
    await this.#ready
    await deleteExpiredPrefix(this.#db, TABLE, nowMs - EXPIRED_ROW_RETENTION_MS)
  }
}

/** Compares two hex hashes without leaking, through timing, how much of them matched. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/**
 * Whether a state is still consuming after its claim's deadline: the delivery that claimed it stopped
 * (its process died) and will never finish it. A claim without a deadline has no owner to wait for.
 */
export function isAbandoned(state: StoredState, nowMs: number): boolean {
  return state.status === 'consuming' && (state.claimDeadlineMs === null || nowMs >= state.claimDeadlineMs)
}

function toStoredState(row: StateRow): StoredState {
  const outcome = row.outcome_json === null ? null : JSON.parse(row.outcome_json)
  return {
    loginType: row.login_type,
    browserHash: row.browser_hash,
    redirectTarget: row.redirect_target,
    status: row.status,
    codeHash: row.code_hash,
    expiresAtMs: Number(row.expires_at_ms),
    claimDeadlineMs: row.claim_deadline_ms === null ? null : Number(row.claim_deadline_ms),
    finishedAtMs: row.finished_at_ms === null ? null : Number(row.finished_at_ms),
    user: row.status === 'done' ? (outcome?.user ?? null) : null,
    sessionRef: row.status === 'done' ? (outcome?.sessionRef ?? null) : null,
    failure: row.status === 'failed' ? outcome : null,
    ticketId: row.ticket_id === null ? null : Number(row.ticket_id),
  }
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
