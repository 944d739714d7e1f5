import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { greeterFamily } from '../helpers/greeters.ts'
import { runToEnd } from '../helpers/processes.ts'
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
    const { timedOut, code, stdout, stderr } = await runToEnd(
      process.execPath,
      ['--import', register, child, dir],
      { timeoutMs: EXIT_TIMEOUT_MS },
    )
    const exit = timedOut ? 'still running' : (code ?? 'killed')
    expect({ exit, stdout, stderr }).toEqual({ exit: 0, stdout: 'closed\n', stderr: '' })
  }, 60_000)
})
