import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort } from './free-port.ts'

/**
 * A throwaway PostgreSQL server for tests: `initdb` into a temp folder as the `postgres` user, started
 * on a free loopback port with its socket in that folder, stopped and removed by `stop()`.
 * It throws (never skips) when PostgreSQL is missing: `.ci/run` installs it.
 */

const BIN = process.env.JIT_PG_BIN ?? '/usr/lib/postgresql/15/bin'

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication: no password). */
  readonly url: string
  readonly port: number
  readonly dir: string
  /** Fast stop (in-flight transactions are rolled back); idempotent. */
  stop(): void
  /** Immediate stop, as a crash or a restart would (`pg_ctl stop -m immediate`). */
  crash(): void
  /** Starts it again after `stop()` or `crash()`, on the same port and data. */
  start(): void
}

function asPostgres(command: string, args: string[]): void {
  const runAsRoot = process.getuid?.() === 0
  const result = runAsRoot
    ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8' })
    : spawnSync(command, args, { encoding: 'utf8' })
  if (result.status !== 0) {
    throw new Error(
      `${path.basename(command)} ${args[0] ?? ''} failed (exit ${result.status}): ${result.stderr || result.stdout}`,
    )
  }
}

export async function startPostgres(): Promise<PostgresServer> {
  const initdb = path.join(BIN, 'initdb')
  const pgCtl = path.join(BIN, 'pg_ctl')
  if (!existsSync(initdb)) {
    throw new Error(`PostgreSQL is not installed (${initdb} is missing): apt-get install -y postgresql`)
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jit-pg-'))
  chmodSync(dir, 0o777)
  const data = path.join(dir, 'data')
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir])
  asPostgres(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8'])
  const port = await freePort()
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    // Throwaway data: no fsync (the shared disk), but a commit still reaches the WAL before it returns,
    // so an immediate stop (a crash) keeps every committed row, as a real server does.
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=300',
  ].join(' ')
  let running = false
  const start = () => {
    asPostgres(pgCtl, ['-D', data, '-o', options, '-l', path.join(dir, 'server.log'), '-w', 'start'])
    running = true
  }
  const stopWith = (mode: 'fast' | 'immediate') => {
    if (!running) return
    running = false
    asPostgres(pgCtl, ['-D', data, '-m', mode, '-w', 'stop'])
  }
  start()
  let removed = false
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    start,
    crash: () => stopWith('immediate'),
    stop() {
      if (removed) return
      removed = true
      try {
        stopWith('fast')
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}
