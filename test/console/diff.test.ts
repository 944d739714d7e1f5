import { describe, expect, it } from 'vitest'
import { unifiedDiff } from '../../runtime/console/diff.ts'

describe('unifiedDiff', () => {
  it('writes hunks with three lines of context, as diff -u does', () => {
    const before = `${Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n')}\n`
    const after = before.replace('l2\n', 'L2\n').replace('l15\n', '').replace('l19\n', 'l19\nnew\n')
    expect(unifiedDiff('x', before, after)).toBe(
      [
        '--- a/x',
        '+++ b/x',
        '@@ -1,6 +1,6 @@',
        ' l0',
        ' l1',
        '-l2',
        '+L2',
        ' l3',
        ' l4',
        ' l5',
        '@@ -13,8 +13,8 @@',
        ' l12',
        ' l13',
        ' l14',
        '-l15',
        ' l16',
        ' l17',
        ' l18',
        ' l19',
        '+new',
        '',
      ].join('\n'),
    )
  })

  it('shows a new file as all additions and no change as nothing', () => {
    expect(unifiedDiff('e.json', '', '{\n}\n')).toBe('--- a/e.json\n+++ b/e.json\n@@ -0,0 +1,2 @@\n+{\n+}\n')
    expect(unifiedDiff('e.json', 'a\n', 'a\n')).toBe('')
  })
})
