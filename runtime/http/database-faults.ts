import type { FastifyReply } from 'fastify'
import type { JitApp } from '../app.ts'
import type { Database } from '../db/database.ts'
import { DATABASE_RETRY_AFTER_SECONDS, storageFaultOf } from '../db/database-errors.ts'

/** The database `/healthz` reports on: the one sessions and logins live in. */
const HEALTH_DATABASE = 'databases.Default'

/**
 * Answers a request that met a storage fault (a full disk, a read-only file) with 503, `Retry-After`
 * and a coded JSON envelope, and returns true; false for any other error. Nothing is logged here: the
 * database logs the fault once when it starts and once when it ends, not once per request.
 */
export function answerStorageFault(error: unknown, reply: FastifyReply): boolean {
  if (!storageFaultOf(error)) return false
  reply.code(503).header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS)).send({
    errcode: 503,
    errmsg: 'the service cannot use its database right now; try again in a moment',
    code: 'JIT_DB_UNAVAILABLE',
  })
  return true
}

export interface DatabaseHealthReport {
  /** `none` when the app has no `databases.Default`, or uses not the framework's (nothing names it in `uses`). */
  database: 'ok' | 'failing' | 'none'
  /** While failing: the driver's code, what is wrong, and since when. Never a path or a value. */
  databaseFault?: { code: string; reason: string; since?: string }
}

/** Whether the app's database takes a write now (a small write at most about once a second). */
export async function databaseHealth(app: JitApp): Promise<DatabaseHealthReport> {
  if (!app.current.locate(HEALTH_DATABASE)) return { database: 'none' }
  let database: Database
  try {
    database = app.getElement<Database>(HEALTH_DATABASE)
  } catch (error) {
    const code = (error as { code?: unknown }).code
    // The framework's database in an app that stores nothing: not opened, so nothing can fail.
    if (code === 'JIT_ELEMENT_NOT_IN_USE') return { database: 'none' }
    // It did not open (JIT_DB_OPEN_FAILED) or failed to load: as unusable as a full disk.
    return {
      database: 'failing',
      databaseFault: { code: typeof code === 'string' ? code : 'unknown', reason: 'it could not be opened' },
    }
  }
  const state = await (database.checkWritable?.() ?? database.health?.())
  if (state?.status !== 'failing') return { database: 'ok' }
  return {
    database: 'failing',
    databaseFault: {
      code: state.fault.code,
      reason: state.fault.reason,
      since: new Date(state.sinceMs).toISOString(),
    },
  }
}
