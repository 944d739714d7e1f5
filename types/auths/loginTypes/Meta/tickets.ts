/**
 * Desktop sign-in tickets (docs/security.md#cross-device-sign-in), kept in the app's database so that
 * any node can finish one. A desktop browser asks for a ticket and shows its QR code; a phone scans
 * it, signs in with the provider and confirms; the desktop then claims the ticket and gets a session
 * of its own. A row holds:
 *
 * - `secret_hash`: the SHA-256 of the secret in the QR link (the phone's way in);
 * - `desktop_hash`: the SHA-256 of the secret in the desktop's HttpOnly cookie (the only way to claim);
 * - `phone_hash`: the SHA-256 of the secret in the cookie of the phone that scanned first;
 * - `confirm_hash`: the SHA-256 of the CSRF token of the phone's confirmation form;
 * - `user_json`: who the phone signed in as (never tokens), from its login until the claim;
 * - `address_hash`: the SHA-256 of the desktop's address, for the cap on its live tickets.
 *
 *   waiting --scan--> scanned (a phone bound; then its user attached) --Confirm--> confirmed --claim--> consumed
 *   waiting | scanned | confirmed --Cancel (phone or desktop)--> cancelled
 *   any but consumed and cancelled, past its expiry: expired (read as such; swept later)
 *
 * Every move is one conditional UPDATE, so two phones, two tabs or two nodes never both win one.
 */
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
import { compileStatements, createTable, TABLE, type TicketRow } from './ticket-table.ts'
import { sha256Hex } from './tokens.ts'

/** A ticket lives 3 minutes unless its login Type says otherwise (LoginProvider.desktopTicketLifetimeMs). */
export const DEFAULT_TICKET_TTL_MS = 3 * 60 * 1000
/** Expired rows are kept a while, so a late scan is told "expired" rather than "unknown". */
const EXPIRED_ROW_RETENTION_MS = 30 * 60 * 1000
const SWEEP_INTERVAL_MS = 60 * 1000

export type TicketStatus = 'waiting' | 'scanned' | 'confirmed' | 'consumed' | 'cancelled' | 'expired'
type StoredStatus = TicketRow['status']

/** A row and the hash one of its secrets must match. */
export interface TicketRef {
  rowId: number
  secretHash: string
}

export type TicketUser = Omit<SessionUser, 'loginType'>

export interface NewTicket {
  scanSecret: string
  desktopSecret: string
  loginType: string
  browserLabel: string
  /** The hash of the desktop's address, for the cap per address. */
  addressHash: string
  /** Most live tickets the address may hold; 0: no cap. */
  capPerAddress: number
  nowMs: number
  ttlMs: number
}

/** What the phone's confirmation page shows. */
export interface TicketSummary {
  createdAtMs: number
  browserLabel: string
  user: TicketUser
}

/** The status a desktop or a phone is told: a live status past its expiry is `expired`. */
export function effectiveStatus(status: StoredStatus, expiresAtMs: number, nowMs: number): TicketStatus {
  if ((status === 'waiting' || status === 'scanned' || status === 'confirmed') && nowMs >= expiresAtMs)
    return 'expired'
  return status
}

/** Statuses after which nothing more happens to a ticket. */
export function isFinal(status: TicketStatus): boolean {
  return status === 'consumed' || status === 'cancelled' || status === 'expired'
}

/**
 * The tickets of one database. Statements are compiled once (the database's own dialect) and run
 * with new values. A move made in this process wakes the desktops waiting on that ticket here at once
 * (`waitForChange`); a move made by another node is seen by their next poll of the row.
 */
export class TicketStore {
  static readonly #stores = new WeakMap<Kysely<any>, TicketStore>()

  static of(database: Database): TicketStore {
    let store = TicketStore.#stores.get(database.kysely)
    if (!store) {
      store = new TicketStore(database)
      TicketStore.#stores.set(database.kysely, store)
    }
    return store
  }

  readonly #database: Database
  readonly #db: Kysely<any>
  readonly #setup: SetupOnce<RowSelectors>
  readonly #statements: ReturnType<typeof compileStatements>
  readonly #waiters = new Map<number, Set<() => void>>()
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
   * Stores a waiting ticket; returns its row's selector, for the QR link and the desktop's cookie.
   * Undefined when the address already holds `capPerAddress` live (unfinished, unexpired) tickets:
   * the insert counts them in the same statement, so no burst of new codes gets past it.
   */
  async create(ticket: NewTicket): Promise<{ rowId: number; selector: string } | undefined> {
    await this.#sweep(ticket.nowMs)
    const values = [
      sha256Hex(ticket.scanSecret),
      sha256Hex(ticket.desktopSecret),
      ticket.loginType,
      ticket.browserLabel,
      ticket.nowMs,
      ticket.nowMs + ticket.ttlMs,
      ticket.addressHash,
    ]
    const { rows } =
      ticket.capPerAddress > 0
        ? await this.#run(this.#statements.insertCapped, [...values, ticket.capPerAddress])
        : await this.#run(this.#statements.insert, values)
    const row = rows[0] as { id: number | bigint } | undefined
    if (!row) return undefined
    const rowId = Number(row.id)
    return { rowId, selector: (await this.#ready).selectorOf(rowId) }
  }

  /** The row a secret and selector name; undefined when the selector is not one of this store's. */
  async refOf(token: { secret: string; selector: string }): Promise<TicketRef | undefined> {
    const rowId = (await this.#ready).rowIdOf(token.selector)
    return rowId === undefined ? undefined : { rowId, secretHash: sha256Hex(token.secret) }
  }

  /** The status a desktop holding `desktop` sees; undefined when it holds no ticket of this row. */
  async statusForDesktop(desktop: TicketRef, nowMs: number): Promise<TicketStatus | undefined> {
    const { rows } = await this.#run(this.#statements.readForDesktop, [desktop.rowId, desktop.secretHash])
    const row = rows[0] as Pick<TicketRow, 'status' | 'expires_at_ms'> | undefined
    return row && effectiveStatus(row.status, Number(row.expires_at_ms), nowMs)
  }

  /**
   * Binds a waiting ticket of `loginType` to the phone whose cookie secret hashes to `phoneHash` (the
   * same phone may open the link again). True when this phone holds it now.
   */
  async scan(scan: TicketRef, loginType: string, phoneHash: string, nowMs: number): Promise<boolean> {
    const { rows } = await this.#run(this.#statements.scan, [
      phoneHash,
      nowMs,
      scan.rowId,
      scan.secretHash,
      loginType,
    ])
    if (rows.length > 0) this.#wake(scan.rowId)
    return rows.length > 0
  }

  /** What a scan that was refused met, for its page: unknown, another Instance's, or its status. */
  async statusForScan(scan: TicketRef, loginType: string, nowMs: number): Promise<TicketStatus | undefined> {
    const { rows } = await this.#run(this.#statements.readForScan, [scan.rowId, scan.secretHash])
    const row = rows[0] as Pick<TicketRow, 'status' | 'expires_at_ms' | 'login_type'> | undefined
    if (!row || row.login_type !== loginType) return undefined
    return effectiveStatus(row.status, Number(row.expires_at_ms), nowMs)
  }

  /** Records who the bound phone signed in as. False when the ticket moved on or expired meanwhile. */
  async attachUser(rowId: number, phoneHash: string, user: TicketUser, nowMs: number): Promise<boolean> {
    const { rows } = await this.#run(this.#statements.attachUser, [
      JSON.stringify(user),
      rowId,
      phoneHash,
      nowMs,
    ])
    return rows.length > 0
  }

  /**
   * Sets the CSRF token of the phone's confirmation form and returns what the form shows; undefined
   * when this phone has no scanned ticket with a user to confirm.
   */
  async prepareConfirmation(
    phone: TicketRef,
    confirmToken: string,
    nowMs: number,
  ): Promise<TicketSummary | undefined> {
    const { rows } = await this.#run(this.#statements.prepareConfirmation, [
      sha256Hex(confirmToken),
      phone.rowId,
      phone.secretHash,
      nowMs,
    ])
    const row = rows[0] as Pick<TicketRow, 'created_at_ms' | 'browser_label' | 'user_json'> | undefined
    if (!row?.user_json) return undefined
    return {
      createdAtMs: Number(row.created_at_ms),
      browserLabel: row.browser_label,
      user: JSON.parse(row.user_json) as TicketUser,
    }
  }

  /** The phone's Confirm or Cancel, with its form's token. True when this call made the move. */
  async decide(
    phone: TicketRef,
    confirmToken: string,
    decision: 'confirmed' | 'cancelled',
    nowMs: number,
  ): Promise<boolean> {
    const { rows } = await this.#run(this.#statements.decide, [
      decision,
      phone.rowId,
      phone.secretHash,
      sha256Hex(confirmToken),
      nowMs,
    ])
    if (rows.length > 0) this.#wake(phone.rowId)
    return rows.length > 0
  }

  /** The status the phone bound to a ticket sees (for a refused decision's page). */
  async statusForPhone(phone: TicketRef, nowMs: number): Promise<TicketStatus | undefined> {
    const { rows } = await this.#run(this.#statements.readForPhone, [phone.rowId, phone.secretHash])
    const row = rows[0] as Pick<TicketRow, 'status' | 'expires_at_ms'> | undefined
    return row && effectiveStatus(row.status, Number(row.expires_at_ms), nowMs)
  }

  /** The desktop gives up on its ticket (a new code, the page closed). */
  async cancelByDesktop(desktop: TicketRef, nowMs: number): Promise<boolean> {
    const { rows } = await this.#run(this.#statements.cancelByDesktop, [
      nowMs,
      desktop.rowId,
      desktop.secretHash,
    ])
    if (rows.length > 0) this.#wake(desktop.rowId)
    return rows.length > 0
  }

  /**
   * Consumes a confirmed, unexpired ticket of `loginType` for the desktop that holds it, in one UPDATE;
   * returns the user to open a session for, or undefined (anything else: say why with statusForDesktop).
   */
  async claim(desktop: TicketRef, loginType: string, nowMs: number): Promise<TicketUser | undefined> {
    const { rows } = await this.#run(this.#statements.claim, [
      nowMs,
      desktop.rowId,
      desktop.secretHash,
      loginType,
      nowMs,
    ])
    const row = rows[0] as Pick<TicketRow, 'user_json'> | undefined
    if (!row?.user_json) return undefined
    this.#wake(desktop.rowId)
    return JSON.parse(row.user_json) as TicketUser
  }

  /**
   * Resolves when this process moves ticket `rowId`, or after `pollMs` (another node may have moved
   * it), or when `signal` aborts.
   */
  waitForChange(rowId: number, pollMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(rowId)
      if (!waiters) {
        waiters = new Set()
        this.#waiters.set(rowId, waiters)
      }
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        const set = this.#waiters.get(rowId)
        set?.delete(done)
        if (set?.size === 0) this.#waiters.delete(rowId)
        resolve()
      }
      const timer = setTimeout(done, pollMs)
      waiters.add(done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }

  #wake(rowId: number): void {
    for (const wake of [...(this.#waiters.get(rowId) ?? [])]) wake()
  }

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
