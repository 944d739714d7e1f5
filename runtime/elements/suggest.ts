/**
 * Up to three of `candidates` that `name` was probably meant to be: same last segment first, then the
 * closest by edit distance, within a distance that grows with the name's length.
 */
export function suggestNames(name: string, candidates: readonly string[]): string[] {
  const lastSegment = name.slice(name.lastIndexOf('.') + 1).toLowerCase()
  const maxDistance = Math.max(2, Math.floor(name.length * 0.34))
  const scored: Array<{ candidate: string; score: number }> = []
  for (const candidate of candidates) {
    if (candidate === name) continue
    const candidateLast = candidate.slice(candidate.lastIndexOf('.') + 1).toLowerCase()
    if (candidateLast === lastSegment) {
      scored.push({ candidate, score: 0 })
      continue
    }
    if (Math.abs(candidate.length - name.length) > maxDistance) continue
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase(), maxDistance)
    if (distance <= maxDistance) scored.push({ candidate, score: distance })
  }
  scored.sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate))
  return scored.slice(0, 3).map((s) => s.candidate)
}

/** Levenshtein distance, giving up early (returning limit + 1) once every path exceeds `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    let rowMin = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1
      const value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
      current.push(value)
      if (value < rowMin) rowMin = value
    }
    if (rowMin > limit) return limit + 1
    previous = current
  }
  return previous[b.length]
}
