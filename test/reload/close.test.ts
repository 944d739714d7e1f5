import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { greeterFamily } from '../helpers/greeters.ts'
import { appJson, writeTempTree } from '../helpers/temp-app.ts'

const register = fileURLToPath(new URL('../../bin/register.mjs', import.meta.url))
const child = fileURLToPath(new URL('./fixtures/watch-then-close.ts', import.meta.url))
/** Generous for a loaded machine; a process held open by a watcher or a timer never exits at all. */
const EXIT_TIMEOUT_MS = 30_000

describe('close()', () => {
  it('leaves no watcher, timer or handle behind: a process that closes its app exits by itself', async () => {
    const dir = writeTempTree({
      'app.json': appJson(),
      ...greeterFamily,
      'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
      'greeters/English/English.json': { greeting: 'Hello' },
    })
    const proc = spawn(process.execPath, ['--import', register, child, dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    proc.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const exit = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL')
        resolve('still running')
      }, EXIT_TIMEOUT_MS)
      proc.on('exit', (code) => {
        clearTimeout(timer)
        resolve(code ?? 'killed')
      })
    })
    expect({ exit, stdout, stderr }).toEqual({ exit: 0, stdout: 'closed\n', stderr: '' })
  }, 60_000)
})
