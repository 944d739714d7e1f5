import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The runtime's own folder: frames in it are the engine calling a Type, not where the Type failed. */
const RUNTIME_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)))

/** `at fn (file:///a/b.ts:12:5)` or `at /a/b.ts:12:5`: the file, line and column of one stack frame. */
const FRAME = /\(?(?:file:\/\/)?(\/[^():]+):(\d+):(\d+)\)?$/

export interface CodeLocation {
  readonly file: string
  readonly line: number
  readonly column: number
}

/**
 * Where an element's own code threw: the first frame of the error's stack in a file outside the engine
 * and outside node_modules (a Type's type.ts, a service's index.ts, a helper they import), so that
 * "preparing X failed" points at the line to fix. Undefined when no such frame is known.
 */
export function codeLocationOf(error: unknown): CodeLocation | undefined {
  const stack = error instanceof Error ? error.stack : undefined
  if (!stack) return undefined
  for (const line of stack.split('\n').slice(1)) {
    const match = FRAME.exec(line.trim())
    if (!match) continue
    const file = match[1]
    if (file.startsWith(RUNTIME_DIR + path.sep) || file.includes(`${path.sep}node_modules${path.sep}`))
      continue
    return { file, line: Number(match[2]), column: Number(match[3]) }
  }
  return undefined
}
