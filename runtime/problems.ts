/**
 * A problem as both sides of `jit dev` know it: the element it makes unusable (if any) and the line
 * `jit check` prints for it. The app process sends these to the supervisor; the app itself compares
 * its JitErrors the same way.
 */
export interface ProblemLine {
  readonly element?: string
  readonly text: string
}

/**
 * The problems of `next` that a change brought in, measured against `running`: a problem already
 * there (the same line on the same element) does not count, nor does any problem of an element that
 * was already broken. The one rule for whether a reload or a restart is refused.
 *
 * @example
 * introducedProblems([{ element: 'a.B', text: 'x' }], [{ element: 'a.B', text: 'y' }, { text: 'z' }])
 * // [{ text: 'z' }]
 */
export function introducedProblems<P extends ProblemLine>(
  running: readonly ProblemLine[],
  next: readonly P[],
): P[] {
  const broken = new Set<string>()
  const known = new Set<string>()
  for (const problem of running) {
    if (problem.element) broken.add(problem.element)
    known.add(keyOf(problem))
  }
  return next.filter((p) => !(p.element && broken.has(p.element)) && !known.has(keyOf(p)))
}

function keyOf(problem: ProblemLine): string {
  return `${problem.element ?? ''}\u0000${problem.text}`
}
