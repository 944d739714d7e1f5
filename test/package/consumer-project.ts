/**
 * A project outside the repository that depends on jitlite as users get it: the repository packed with
 * `npm pack` (which builds the declarations), the tarball installed by npm. The dependencies jitlite
 * names are taken from the repository's own install (hard links, so nothing is downloaded and
 * better-sqlite3 is not compiled again); npm itself puts jitlite in place from the tarball.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { REPO_ROOT } from '../helpers/jit-process.ts'
import { type Served, spawnGroup, startOnFreePort } from '../helpers/processes.ts'
import { type FileTree, writeTree } from '../helpers/temp-app.ts'

const run = promisify(execFile)

export interface PackedFile {
  readonly path: string
}

export interface Packed {
  readonly tarball: string
  readonly files: readonly PackedFile[]
}

/** `npm pack` of the repository into `dir`: its prepack script builds the declarations first. */
export async function packRepository(dir: string): Promise<Packed> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
  })
  const [report] = JSON.parse(stdout) as Array<{ filename: string; files: PackedFile[] }>
  return { tarball: path.join(dir, report.filename), files: report.files }
}

/**
 * Entries of the repository's node_modules left out of the copy. `.package-lock.json` above all: npm
 * rewrites that file in place, which through a hard link would rewrite the repository's own.
 */
const NOT_COPIED = new Set(['.package-lock.json', '.cache', '.vite', '.vite-temp', 'jitlite'])

/**
 * Makes `to` a copy of the tree at `from` made of hard links (a real copy across file systems), so
 * that npm in the copy can remove or add packages without touching the original.
 */
function linkTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true })
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name)
    const target = path.join(to, entry.name)
    if (entry.isDirectory()) linkTree(source, target)
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(source), target)
    else if (entry.isFile()) {
      try {
        fs.linkSync(source, target)
      } catch {
        fs.copyFileSync(source, target)
      }
    }
  }
}

function seedNodeModules(project: string): void {
  const installed = fs.realpathSync(path.join(REPO_ROOT, 'node_modules'))
  const into = path.join(project, 'node_modules')
  fs.mkdirSync(into)
  for (const entry of fs.readdirSync(installed)) {
    if (!NOT_COPIED.has(entry)) linkTree(path.join(installed, entry), path.join(into, entry))
  }
}

/**
 * A fresh project in the system's temp folder with `files` written and jitlite installed from
 * `tarball`: `npm install` offline and without install scripts (the native parts come built).
 */
export async function createConsumerProject(tarball: string, files: FileTree): Promise<string> {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-consumer-'))
  const repoPackage = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'))
  writeTree(project, {
    'package.json': {
      name: 'consumer',
      private: true,
      type: 'module',
      dependencies: { jitlite: `file:${tarball}` },
      devDependencies: {
        '@types/node': repoPackage.devDependencies['@types/node'],
        typescript: repoPackage.devDependencies.typescript,
      },
    },
    ...files,
  })
  seedNodeModules(project)
  await run('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: project,
    maxBuffer: 16 * 1024 * 1024,
  })
  return project
}

/**
 * Starts `node_modules/.bin/jit <command> app` in `project` on a port that was free a moment ago (again
 * on another if something took it in between), and resolves once it prints the URL it serves.
 */
export function serveWithJit(
  project: string,
  command: 'dev' | 'start',
  env: Record<string, string> = {},
): Promise<Served> {
  const { HOST: _host, PUBLIC_URL: _publicUrl, ...inherited } = process.env
  return startOnFreePort((port) =>
    spawnGroup(path.join(project, 'node_modules', '.bin', 'jit'), [command, 'app'], {
      cwd: project,
      env: { ...inherited, ...env, PORT: String(port) },
    }),
  )
}
