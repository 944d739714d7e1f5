/** Lines of context around each change in a unified diff. */
const CONTEXT = 3

type Op = { kind: ' ' | '-' | '+'; line: string }

/**
 * A unified diff of two texts (`--- a/name`, `+++ b/name`, `@@` hunks), from a longest common
 * subsequence of their lines. Config files are short, so the quadratic table is cheap.
 *
 * @example
 * unifiedDiff('x.json', '{\n  "a": 1\n}\n', '{\n  "a": 2\n}\n')
 */
export function unifiedDiff(name: string, before: string, after: string): string {
  if (before === after) return ''
  const ops = lineOps(splitLines(before), splitLines(after))
  const changed = ops.flatMap((op, i) => (op.kind === ' ' ? [] : [i]))
  const hunks: string[] = []
  let first = 0
  // Changes closer together than twice the context share one hunk.
  for (let k = 1; k <= changed.length; k++) {
    if (k < changed.length && changed[k] - changed[k - 1] <= CONTEXT * 2 + 1) continue
    const from = Math.max(0, changed[first] - CONTEXT)
    const to = Math.min(ops.length, changed[k - 1] + CONTEXT + 1)
    hunks.push(hunk(ops, from, to))
    first = k
  }
  return `--- a/${name}\n+++ b/${name}\n${hunks.join('')}`
}

function hunk(ops: Op[], start: number, end: number): string {
  let oldLine = 1
  let newLine = 1
  for (const op of ops.slice(0, start)) {
    if (op.kind !== '+') oldLine++
    if (op.kind !== '-') newLine++
  }
  const body = ops.slice(start, end)
  const oldCount = body.filter((op) => op.kind !== '+').length
  const newCount = body.filter((op) => op.kind !== '-').length
  const range = (line: number, count: number) => `${count === 0 ? line - 1 : line},${count}`
  const lines = body.map((op) => `${op.kind}${op.line}\n`).join('')
  return `@@ -${range(oldLine, oldCount)} +${range(newLine, newCount)} @@\n${lines}`
}

function splitLines(text: string): string[] {
  if (text === '') return []
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

function lineOps(a: string[], b: string[]): Op[] {
  // lengths[i][j]: the longest common subsequence of a[i..] and b[j..].
  const lengths = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i][j] =
        a[i] === b[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1])
    }
  }
  const ops: Op[] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i++] })
      j++
    } else if (lengths[i + 1][j] >= lengths[i][j + 1]) ops.push({ kind: '-', line: a[i++] })
    else ops.push({ kind: '+', line: b[j++] })
  }
  while (i < a.length) ops.push({ kind: '-', line: a[i++] })
  while (j < b.length) ops.push({ kind: '+', line: b[j++] })
  return ops
}
