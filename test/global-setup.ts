import type { TestProject } from 'vitest/node'
import { type PostgresServer, startPostgres } from './helpers/postgres-server.ts'

/**
 * One throwaway PostgreSQL server for the whole run (started once: initdb takes a second or two);
 * each test file makes its own database on it (helpers/postgres.ts). With JIT_TEST_POSTGRES_URL set,
 * the suite runs against that existing server instead (it must let the user create databases).
 */
let server: PostgresServer | undefined

export async function setup(project: TestProject): Promise<void> {
  const existing = process.env.JIT_TEST_POSTGRES_URL
  if (existing) {
    project.provide('postgresUrl', existing)
    return
  }
  server = await startPostgres()
  project.provide('postgresUrl', server.url)
}

export function teardown(): void {
  server?.stop()
}
