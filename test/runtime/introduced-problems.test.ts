import { describe, expect, it } from 'vitest'
import { JitError } from '../../runtime/errors.ts'
import { introducedProblems } from '../../runtime/problems.ts'

describe('introducedProblems: the one rule for whether a reload or a restart is refused', () => {
  const line = (element: string | undefined, text: string) => ({ element, text })

  it('counts a problem on an element that worked, and one that names no element', () => {
    const running = [line('greeters.English', 'English.json: greeting: too long (JIT_CONFIG_INVALID)')]
    const fresh = line('greeters.French', 'French.json: not valid JSON (JIT_CONFIG_MALFORMED)')
    const global = line(undefined, 'app.json: extends: not found (JIT_APP_EXTENDS_NOT_FOUND)')
    expect(introducedProblems(running, [fresh, global])).toEqual([fresh, global])
  })

  it('ignores the problems already there, and any new one of an element that was already broken', () => {
    const running = [
      line('greeters.English', 'English.json: greeting: too long (JIT_CONFIG_INVALID)'),
      line(undefined, 'app.json: extends: not found (JIT_APP_EXTENDS_NOT_FOUND)'),
    ]
    const next = [
      line('greeters.English', 'English.json: punctuation: Invalid option (JIT_CONFIG_INVALID)'),
      line(undefined, 'app.json: extends: not found (JIT_APP_EXTENDS_NOT_FOUND)'),
    ]
    expect(introducedProblems(running, next)).toEqual([])
  })

  it("the same line on another element is that element's new problem", () => {
    const text = 'cannot import type.ts: boom (JIT_CODE_LOAD_FAILED)'
    expect(introducedProblems([line('a.One', text)], [line('a.Two', text)])).toEqual([line('a.Two', text)])
  })

  it("compares an app's JitErrors by the line jit check prints for them", () => {
    const where = {
      file: '/app/greeters/English/English.json',
      field: 'greeting',
      element: 'greeters.English',
    }
    const before = new JitError('JIT_CONFIG_INVALID', 'too long', where)
    const after = new JitError('JIT_CONFIG_INVALID', 'too long', { ...where, element: 'greeters.French' })
    const lines = (problems: JitError[]) => problems.map((p) => ({ element: p.element, text: p.format() }))
    expect(introducedProblems(lines([before]), lines([before]))).toEqual([])
    expect(introducedProblems(lines([before]), lines([after]))).toHaveLength(1)
  })
})
