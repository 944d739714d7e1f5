import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'

/**
 * The PostgreSQL server of this test run (test/global-setup.ts starts one for the whole run) and a
 * fresh database on it per caller, so test files never see each other's tables.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string
  }
}

export function postgresServerUrl(): string {
  return inject('postgresUrl')
}

export interface FreshDatabase {
  /** A URL to a new, empty database. */
  readonly url: string
  readonly name: string
  /** Drops it (closing any connection still open to it). */
  drop(): Promise<void>
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl)
  url.pathname = `/${database}`
  return url.toString()
}

export async function freshPostgresDatabase(prefix = 'jit'): Promise<FreshDatabase> {
  const serverUrl = postgresServerUrl()
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE "${name}"`)
  } finally {
    await admin.end()
  }
  return {
    url: withDatabase(serverUrl, name),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl })
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      } finally {
        await client.end()
      }
    },
  }
}
