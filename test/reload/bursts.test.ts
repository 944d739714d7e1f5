import fs from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { closeWatchedApps, nextEvent, openWatchedApp, type WatchedApp } from './watching.ts'

afterEach(closeWatchedApps)

const CONFIG = 'greeters/English/English.json'
const EDITS = 100

/** Irregular gaps of 0-15 ms: inside chokidar's 50 ms change throttle and the watcher's 25 ms settle time. */
function pause(i: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, (i * 7) % 16))
}

/** Waits until the handle serves `expected`, re-checking after each reload. */
async function served(watched: WatchedApp, expected: string): Promise<void> {
  const english = watched.app.getElement('greeters.English')
  while (english.greet('Ann') !== expected) await nextEvent(watched.app, 'reload')
}

describe('a burst of edits', () => {
  it(`${EDITS} rapid in-place edits end with the last one applied, batched, with nothing crashed`, async () => {
    const watched = await openWatchedApp()
    for (let i = 0; i < EDITS; i++) {
      watched.write(CONFIG, { greeting: `Edit ${i}` })
      await pause(i)
    }
    await served(watched, `Edit ${EDITS - 1}, Ann!`)
    const reloads = watched.events.filter((e) => e.name === 'reload').length
    expect(reloads).toBeGreaterThan(0)
    expect(reloads).toBeLessThan(EDITS / 2)
    expect(watched.app.refusedReload).toBeUndefined()
    expect(watched.app.getElement('greeters.English.services.EchoSvc').whoAmI().greeting).toBe(
      `Edit ${EDITS - 1}`,
    )
  })

  it(`${EDITS} rapid atomic saves (temp file renamed over the config) end with the last one applied`, async () => {
    const watched = await openWatchedApp()
    const target = watched.file(CONFIG)
    for (let i = 0; i < EDITS; i++) {
      fs.writeFileSync(`${target}.tmp`, JSON.stringify({ greeting: `Save ${i}` }))
      fs.renameSync(`${target}.tmp`, target)
      await pause(i)
    }
    await served(watched, `Save ${EDITS - 1}, Ann!`)
    expect(watched.events.filter((e) => e.name === 'error')).toEqual([])
  })

  it('element folders added and removed in a burst end as the disk is', async () => {
    const watched = await openWatchedApp()
    for (let i = 0; i < 20; i++) {
      watched.write(`greeters/G${i}/e.json`, { title: `G${i}`, type: 'greeters.FriendlyType' })
      watched.write(`greeters/G${i}/G${i}.json`, { greeting: `G${i}` })
      if (i % 2 === 1) fs.rmSync(watched.file(`greeters/G${i - 1}`), { recursive: true })
      await pause(i)
    }
    const names = () =>
      watched.app
        .listElements()
        .map((e) => e.fullName)
        .filter((n) => /^greeters\.G\d+$/.test(n))
        .sort()
    const expected = Array.from({ length: 10 }, (_, k) => `greeters.G${2 * k + 1}`).sort()
    while (names().join() !== expected.join()) await nextEvent(watched.app, 'reload')
    expect(watched.app.getElement('greeters.G19').greet('Ann')).toBe('G19, Ann!')
    expect(() => watched.app.getElement('greeters.G18')).toThrow(
      expect.objectContaining({ code: 'JIT_ELEMENT_NOT_FOUND' }),
    )
  })
})
